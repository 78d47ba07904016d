// The evaluation report: a stable report.json contract (models, comparisons, finetune, timings), CSV tables and a
// printed table. Pure data → data; the HTML rendering lives in report-html.ts.
import { toCsv } from '../interop/csv'
import type { EvalReport, FinetuneSummary, FoldRow, ModelRole, ReportComparison, ReportModel } from '../../src-shared/contracts/eval'
import { auc, balancedAccuracy, column, f1, rocCurve, subset, summarize, type Predictions } from './metrics'
import { bootstrapCi, bootstrapFoldMeanCi, compareAuc, pairedFoldMeanBootstrap } from './statistics'
import { deriveSeed } from './rng'

export type { EvalReport, FinetuneSummary, FoldRow, ModelRole, ReportComparison, ReportModel } from '../../src-shared/contracts/eval'
export const modelRoles: readonly ModelRole[] = ['baseline', 'finetuned', 'teacher', 'other']

/** Guess a role from a model name (explicit roles win): teacher / fine-tuned (mcm, kd, finetune) / baseline (student). */
export function inferRole(name: string): ModelRole {
  const n = name.toLowerCase()
  if (n.includes('teacher')) return 'teacher'
  if (/fine-?tun|mcm|\bkd\b|-kd|_kd/.test(n)) return 'finetuned'
  if (n.includes('baseline') || n.includes('student') || n.includes('before')) return 'baseline'
  return 'other'
}

export interface ModelEvaluation {
  name: string
  role: ModelRole
  /** where the features came from (feature cache key or folder) */
  features: string
  dim: number
  oof: Predictions
  /** fold of each slide (same order as oof) */
  foldOf: number[]
  folds: FoldRow[]
  aggregatorParameters: number
  seconds: number
  /** extractor compute, measured by the caller (null = not measured) */
  parameters?: number | null
  gflops_per_patch?: number | null
  patches_per_s?: number | null
}

export interface BuildReportInput {
  project: string
  aggregator: string
  seed: number
  foldsK: number
  splitMethod: string
  classes: string[]
  nPatients: number
  models: ModelEvaluation[]
  finetune: FinetuneSummary | null
  timings: Record<string, number>
  bootstrapResamples?: number
  createdAt?: string
}

/** Mean (NaN for none) and sample sd (0 below two values); shared with repeats.ts. */
export const mean = (xs: number[]): number => (xs.length === 0 ? NaN : xs.reduce((a, b) => a + b, 0) / xs.length)
export const sd = (xs: number[]): number => {
  if (xs.length < 2) return 0
  const m = mean(xs)
  return Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1))
}

export function buildReport(input: BuildReportInput): EvalReport {
  const resamples = input.bootstrapResamples ?? 2000
  const binary = input.classes.length === 2
  const models: ReportModel[] = input.models.map((m) => {
    // *_ci goes with *_mean: CI of the fold-averaged metric (slides redrawn inside each fold); auc_pooled_ci goes
    // with auc_pooled. The same tag for every model = identical resampled slide sets across models.
    const ci = (stat: (p: Predictions) => number, tag: string): [number, number] => {
      const r = bootstrapFoldMeanCi(m.oof, m.foldOf, stat, { seed: deriveSeed(input.seed, 'bootstrap', tag), resamples })
      return [r.lo, r.hi]
    }
    const pooledCi = bootstrapCi(m.oof, auc, { seed: deriveSeed(input.seed, 'bootstrap', 'auc-pooled'), resamples })
    // Fold metrics recomputed from the out-of-fold predictions, so every figure of the report derives from one source
    // (in a real run they equal the CV's own fold rows; training details such as best_epoch are kept).
    const folds = m.folds.map((f) => {
      const idx = m.foldOf.flatMap((g, i) => (g === f.fold ? [i] : []))
      const s = summarize(subset(m.oof, idx))
      return { ...f, auc: s.auc, balanced_accuracy: s.balanced_accuracy, f1: s.f1, n_test: idx.length }
    })
    const aucs = folds.map((f) => f.auc).filter(Number.isFinite)
    return {
      name: m.name,
      role: m.role,
      features: m.features,
      dim: m.dim,
      auc_mean: mean(aucs),
      auc_sd: sd(aucs),
      auc_ci: ci(auc, 'auc'),
      auc_pooled: auc(m.oof),
      auc_pooled_ci: [pooledCi.lo, pooledCi.hi],
      balanced_accuracy_mean: mean(folds.map((f) => f.balanced_accuracy).filter(Number.isFinite)),
      balanced_accuracy_ci: ci(balancedAccuracy, 'bacc'),
      f1_mean: mean(folds.map((f) => f.f1).filter(Number.isFinite)),
      f1_ci: ci(f1, 'f1'),
      parameters: m.parameters ?? null,
      gflops_per_patch: m.gflops_per_patch ?? null,
      patches_per_s: m.patches_per_s ?? null,
      aggregator_parameters: m.aggregatorParameters,
      folds,
      roc: binary ? rocCurve(column(m.oof, 1), Array.from(m.oof.labels, (l) => l === 1)) : null
    }
  })
  const comparisons: ReportComparison[] = []
  for (let i = 0; i < input.models.length; i++) {
    for (let j = i + 1; j < input.models.length; j++) {
      const a = input.models[i] as ModelEvaluation
      const b = input.models[j] as ModelEvaluation
      const t = compareAuc(a.oof, b.oof, auc, deriveSeed(input.seed, 'paired', a.name, b.name))
      const folds = pairedFoldMeanBootstrap(a.oof, b.oof, a.foldOf, auc, { seed: deriveSeed(input.seed, 'paired-folds', a.name, b.name), resamples })
      comparisons.push({
        a: a.name,
        b: b.name,
        auc_diff: t.diff,
        p_value: t.p_value,
        method: t.method,
        ci: t.ci ?? null,
        auc_diff_fold_mean: folds.diff,
        p_value_fold_mean: folds.p_value,
        method_fold_mean: folds.method,
        ci_fold_mean: folds.ci ?? null
      })
    }
  }
  return {
    schema: 'tessera.eval-report/1',
    created_at: input.createdAt ?? new Date().toISOString(),
    project: input.project,
    aggregator: input.aggregator,
    seed: input.seed,
    folds_k: input.foldsK,
    split_method: input.splitMethod,
    classes: input.classes,
    positive_class: binary ? (input.classes[1] as string) : null,
    n_slides: input.models[0]?.oof.labels.length ?? 0,
    n_patients: input.nPatients,
    bootstrap_resamples: resamples,
    ci_method: '95% percentile bootstrap, class-stratified: *_ci of the fold means (slides redrawn within each fold), auc_pooled_ci of the pooled out-of-fold predictions',
    models,
    comparisons,
    finetune: input.finetune,
    timings: input.timings
  }
}

const fmt = (v: number | null, digits = 3): string => (v === null || !Number.isFinite(v) ? '—' : v.toFixed(digits))
const fmtCount = (v: number | null): string => (v === null ? '—' : v >= 1e6 ? `${(v / 1e6).toFixed(1)}M` : v >= 1e3 ? `${(v / 1e3).toFixed(1)}k` : String(v))

/** Rows of the model table shared by the printed table, the CSV and the HTML. */
export function modelTable(r: EvalReport): { header: string[]; rows: string[][] } {
  return {
    header: ['model', 'role', 'AUC mean ± sd', 'AUC 95% CI', 'AUC pooled [95% CI]', 'bal. acc', 'F1', 'params', 'GFLOPs/patch', 'patches/s'],
    rows: r.models.map((m) => [
      m.name,
      m.role,
      `${fmt(m.auc_mean)} ± ${fmt(m.auc_sd)}`,
      `[${fmt(m.auc_ci[0])}, ${fmt(m.auc_ci[1])}]`,
      `${fmt(m.auc_pooled)} [${fmt(m.auc_pooled_ci[0])}, ${fmt(m.auc_pooled_ci[1])}]`,
      fmt(m.balanced_accuracy_mean),
      fmt(m.f1_mean),
      fmtCount(m.parameters),
      fmt(m.gflops_per_patch, 2),
      fmt(m.patches_per_s, 1)
    ])
  }
}

/** Fixed-width text table for the terminal, with the comparisons under it. */
export function printTable(r: EvalReport): string {
  const { header, rows } = modelTable(r)
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] as string).length)))
  const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i] as number)).join('  ')
  const out = [
    `${r.aggregator} · ${r.folds_k}-fold CV (${r.split_method}) · ${r.n_slides} slides / ${r.n_patients} patients · classes ${r.classes.join(', ')} · seed ${r.seed}`,
    line(header),
    line(widths.map((w) => '-'.repeat(w))),
    ...rows.map(line)
  ]
  const signed = (v: number): string => `${v >= 0 ? '+' : ''}${fmt(v)}`
  for (const c of r.comparisons) {
    out.push(`${c.b} vs ${c.a}: ΔAUC fold mean ${signed(c.auc_diff_fold_mean)} (p = ${fmt(c.p_value_fold_mean, 4)}, paired bootstrap); pooled ${signed(c.auc_diff)} (p = ${fmt(c.p_value, 4)}, ${c.method})`)
  }
  const rep = r.repeats
  if (rep) {
    // repeated CV: the figures above are the first seed's; these pool every seed
    const over = rep.over_seeds
    out.push(`over ${rep.seeds.length} seeds (${rep.seeds.join(', ')}): AUC fold mean ± sd over seeds ${over.models.map((m) => `${m.name} ${fmt(m.auc_mean_over_seeds)} ± ${fmt(m.auc_sd_over_seeds)}`).join(', ')}`)
    for (const c of over.comparisons) {
      const ci = c.ci ? ` [95% CI ${signed(c.ci[0])}, ${signed(c.ci[1])}]` : ''
      out.push(`over seeds, ${c.b} vs ${c.a}: ΔAUC pooled, mean over seeds ${signed(c.auc_diff_mean)}${ci} (p = ${fmt(c.p_value, 4)}, patient-level paired bootstrap over seeds)`)
    }
  }
  for (const w of r.warnings ?? []) out.push(`WARNING: ${w}`)
  const f = r.finetune
  if (f && f.masked_l1_after !== null) {
    // the frozen-student control: same predictor and epoch with the student frozen; below it = the student itself helped
    out.push(
      `fine-tuning run ${f.run_id}, held-out masked-patch L1 (lower is better): before ${fmt(f.masked_l1_before, 3)} → after ${fmt(f.masked_l1_after, 3)}; ` +
        `frozen-student control ${fmt(f.masked_l1_control, 3)}; mean of the visible patches ${fmt(f.masked_l1_visible_mean, 3)}`
    )
  }
  if (f && typeof f.teacher_probe_r2_after === 'number') {
    // label-free: how much of the teacher's targets a linear read-out of the student's OWN features explains on held-out slides
    out.push(`teacher probe, held-out R² of student features → teacher targets (higher is better): before ${fmt(f.teacher_probe_r2_before ?? null, 3)} → after ${fmt(f.teacher_probe_r2_after, 3)}`)
  }
  if (f?.patch_kd) {
    // the budget-matched ablation without context: what distillation alone does to the student with the same budget
    const k = f.patch_kd
    out.push(
      `per-patch KD control (window 1, ${k.steps} steps, ${k.images} student images; MCM+KD: ${f.main_steps ?? '—'} steps, ${f.main_images ?? '—'} images): teacher probe after ${fmt(k.teacher_probe_r2_after, 3)}` +
        (typeof k.truth_probe_r2_after === 'number' ? `; truth probe after ${fmt(k.truth_probe_r2_after, 3)}` : '')
    )
  }
  if (f?.truth_probe) {
    // measurement only: a per-patch annotation (the demo: the generator's atypia) read out of the student's own features
    const t = f.truth_probe
    out.push(`truth probe, held-out R² of student features → "${t.channel}" (higher is better): before ${fmt(t.r2_before, 3)} → after ${fmt(t.r2_after, 3)} (${t.fit_patches} fit / ${t.test_patches} held-out patches)`)
  }
  if (f?.preregistration_sha256) out.push(`pre-registration: ${f.preregistration_file ?? '—'} sha256 ${f.preregistration_sha256}`)
  return out.join('\n')
}

/** CSV of the model summary (numbers unrounded); a repeated evaluation adds the over-seeds columns. */
export function modelsCsv(r: EvalReport): string {
  const over = r.repeats?.over_seeds.models
  const extra = over ? ['auc_mean_over_seeds', 'auc_sd_over_seeds', 'auc_pooled_mean_over_seeds', 'auc_pooled_sd_over_seeds'] : []
  return toCsv(
    ['model', 'role', 'auc_mean', 'auc_sd', 'auc_ci_lo', 'auc_ci_hi', 'auc_pooled', 'auc_pooled_ci_lo', 'auc_pooled_ci_hi', 'balanced_accuracy_mean', 'f1_mean', 'parameters', 'gflops_per_patch', 'patches_per_s', 'aggregator_parameters', ...extra],
    r.models.map((m, i) => {
      const o = over?.[i]
      return [
        ...[m.name, m.role, m.auc_mean, m.auc_sd, m.auc_ci[0], m.auc_ci[1], m.auc_pooled, m.auc_pooled_ci[0], m.auc_pooled_ci[1], m.balanced_accuracy_mean, m.f1_mean, m.parameters, m.gflops_per_patch, m.patches_per_s, m.aggregator_parameters],
        ...(o ? [o.auc_mean_over_seeds, o.auc_sd_over_seeds, o.auc_pooled_mean_over_seeds, o.auc_pooled_sd_over_seeds] : [])
      ]
    })
  )
}

/** CSV of every fold of every model. */
export function foldsCsv(r: EvalReport): string {
  return toCsv(
    ['model', 'fold', 'auc', 'balanced_accuracy', 'f1', 'n_test', 'n_train', 'n_validation', 'best_epoch', 'epochs_run'],
    r.models.flatMap((m) => m.folds.map((f) => [m.name, f.fold, f.auc, f.balanced_accuracy, f.f1, f.n_test, f.n_train, f.n_validation, f.best_epoch, f.epochs_run]))
  )
}

/** CSV of the out-of-fold predictions (one row per slide × model). */
export function predictionsCsv(models: readonly ModelEvaluation[], slides: readonly { slideId: number; name: string }[], classes: readonly string[]): string {
  const rows: (string | number)[][] = []
  for (const m of models) {
    slides.forEach((s, i) => {
      const probs = classes.map((_, c) => m.oof.probs[i * classes.length + c] as number)
      rows.push([m.name, s.slideId, s.name, classes[m.oof.labels[i] as number] as string, m.foldOf[i] as number, ...probs])
    })
  }
  return toCsv(['model', 'slide_id', 'slide', 'label', 'fold', ...classes.map((c) => `p_${c}`)], rows)
}
