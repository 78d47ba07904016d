// Repeated cross-validation over several split seeds: each seed's own figures and the paired patient-level bootstrap
// over seeds (report.json `repeats`). Pure data → data, like report.ts.
import type { ReportRepeats } from '../../src-shared/contracts/eval'
import { auc } from './metrics'
import { mean, sd, type EvalReport, type ModelEvaluation } from './report'
import { deriveSeed } from './rng'
import { pairedSeedsBootstrap } from './statistics'

/** One seed's CV run: its model evaluations (same models, same slide order for every seed) and its own report. */
export interface SeedRun {
  seed: number
  models: ModelEvaluation[]
  report: EvalReport
}

/**
 * per_seed: the figures of each seed's report; over_seeds: mean/sd over seeds per model and, per model pair, the
 * mean over seeds of the pooled AUC difference with its patient-level paired bootstrap (statistics.ts
 * pairedSeedsBootstrap; `patientOf[i]` = patient of slide i). Bootstrap stream: seeded from the first seed.
 */
export function buildRepeats(runs: readonly SeedRun[], patientOf: readonly string[], options: { resamples: number }): ReportRepeats {
  const first = runs[0]
  if (!first) throw new Error('repeated evaluation without any seed run (internal error)')
  const names = first.models.map((m) => m.name)
  for (const r of runs) {
    if (r.models.map((m) => m.name).join('\n') !== names.join('\n')) throw new Error(`seed ${r.seed} evaluated other models than seed ${first.seed} (internal error)`)
  }
  const perSeed = runs.map((r) => ({
    seed: r.seed,
    models: r.report.models.map((m) => ({ name: m.name, auc_mean: m.auc_mean, auc_pooled: m.auc_pooled })),
    comparisons: r.report.comparisons.map((c) => ({ a: c.a, b: c.b, auc_diff_fold_mean: c.auc_diff_fold_mean, p_value_fold_mean: c.p_value_fold_mean, auc_diff: c.auc_diff, p_value: c.p_value }))
  }))
  const models = names.map((name, i) => {
    const fold = perSeed.map((s) => s.models[i]?.auc_mean as number)
    const pooled = perSeed.map((s) => s.models[i]?.auc_pooled as number)
    return { name, auc_mean_over_seeds: mean(fold), auc_sd_over_seeds: sd(fold), auc_pooled_mean_over_seeds: mean(pooled), auc_pooled_sd_over_seeds: sd(pooled) }
  })
  const comparisons: ReportRepeats['over_seeds']['comparisons'] = []
  for (let i = 0; i < names.length; i++) {
    for (let j = i + 1; j < names.length; j++) {
      const [a, b] = [names[i] as string, names[j] as string]
      const t = pairedSeedsBootstrap(
        runs.map((r) => (r.models[i] as ModelEvaluation).oof),
        runs.map((r) => (r.models[j] as ModelEvaluation).oof),
        patientOf,
        auc,
        { seed: deriveSeed(first.seed, 'paired-seeds', a, b), resamples: options.resamples }
      )
      comparisons.push({ a, b, auc_diff_mean: t.diff, ci: t.ci ?? null, p_value: t.p_value, method: t.method })
    }
  }
  return { seeds: runs.map((r) => r.seed), per_seed: perSeed, over_seeds: { models, comparisons } }
}
