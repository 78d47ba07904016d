// Contract of slide labels and downstream MIL evaluation, plus the report.json types (a stable contract for scripts).
import { z } from 'zod'
import { method } from './define'
import type { Job } from '../domain/types'

export type ModelRole = 'baseline' | 'finetuned' | 'teacher' | 'other'

export interface RocPoint {
  fpr: number
  tpr: number
}

export interface FoldRow {
  fold: number
  auc: number
  balanced_accuracy: number
  f1: number
  n_test: number
  n_train: number
  n_validation: number
  best_epoch: number
  epochs_run: number
}

export interface FinetuneSummary {
  run_id: string | number
  masked_l1_before: number | null
  masked_l1_after: number | null
  masked_l1_control: number | null
  masked_l1_visible_mean: number | null
  /** held-out R² of a linear read-out from the student's features to the teacher targets, before / after fine-tuning */
  teacher_probe_r2_before?: number | null
  teacher_probe_r2_after?: number | null
  /** optimizer steps and student images of the MCM+KD main phase */
  main_steps?: number | null
  main_images?: number | null
  /** the budget-matched per-patch KD ablation (window 1, same steps and student images): its student's teacher probe */
  patch_kd?: { steps: number; images: number; teacher_probe_r2_after: number | null; truth_probe_r2_after?: number | null } | null
  /** the run's truth probe (config probe.truth): the same read-out to a per-patch annotation, held-out R² */
  truth_probe?: { channel: string; r2_before: number; r2_after: number; fit_patches: number; test_patches: number } | null
  /** SHA-256 of the pre-registration file the study was run under (eval.start `preregistration`), with its path */
  preregistration_sha256?: string | null
  preregistration_file?: string | null
  epochs: number | null
  backend: string | null
  train_images_per_s: number | null
  /** what the masked_l1_* figures measure (the run's held-out loss kind), when known */
  metric?: string
  /** optional loss curve for the HTML report */
  loss_curve?: { step: number; loss: number }[]
}

export interface ReportModel {
  name: string
  role: ModelRole
  features: string
  dim: number
  auc_mean: number
  auc_sd: number
  auc_ci: [number, number]
  auc_pooled: number
  auc_pooled_ci: [number, number]
  balanced_accuracy_mean: number
  balanced_accuracy_ci: [number, number]
  f1_mean: number
  f1_ci: [number, number]
  parameters: number | null
  gflops_per_patch: number | null
  patches_per_s: number | null
  aggregator_parameters: number
  folds: FoldRow[]
  /** ROC of the pooled out-of-fold predictions (binary: class 1; multi-class: null) */
  roc: RocPoint[] | null
  /** model input edge in px its features were extracted at (pixels per patch); null: unknown */
  input_size?: number | null
}

export interface ReportComparison {
  a: string
  b: string
  /** pooled out-of-fold AUC of b minus that of a */
  auc_diff: number
  /** p-value, test and 95% CI of auc_diff (pooled out-of-fold predictions) */
  p_value: number
  method: string
  ci: [number, number] | null
  /** fold-mean AUC of b minus that of a (the auc_mean figures), with its paired bootstrap test */
  auc_diff_fold_mean: number
  p_value_fold_mean: number
  method_fold_mean: string
  ci_fold_mean: [number, number] | null
}

/** One seed's CV run of a repeated evaluation: the figures its own single-seed report would show. */
export interface ReportSeedRun {
  seed: number
  models: { name: string; auc_mean: number; auc_pooled: number }[]
  comparisons: { a: string; b: string; auc_diff_fold_mean: number; p_value_fold_mean: number; auc_diff: number; p_value: number }[]
}

/** Repeated cross-validation over several split seeds (report.json `repeats`, present when the request named `seeds`). */
export interface ReportRepeats {
  seeds: number[]
  per_seed: ReportSeedRun[]
  over_seeds: {
    /** mean and sample sd over seeds of each seed's fold-mean AUC (auc_mean) and pooled out-of-fold AUC */
    models: { name: string; auc_mean_over_seeds: number; auc_sd_over_seeds: number; auc_pooled_mean_over_seeds: number; auc_pooled_sd_over_seeds: number }[]
    /** mean over seeds of the pooled AUC difference b − a, with the patient-level paired bootstrap over seeds */
    comparisons: { a: string; b: string; auc_diff_mean: number; ci: [number, number] | null; p_value: number; method: string }[]
  }
}

/** report.json. Keys named in issue #6 stay; new keys may be added. */
export interface EvalReport {
  schema: 'tessera.eval-report/1'
  created_at: string
  project: string
  aggregator: string
  seed: number
  folds_k: number
  split_method: string
  classes: string[]
  positive_class: string | null
  n_slides: number
  n_patients: number
  bootstrap_resamples: number
  ci_method: string
  models: ReportModel[]
  comparisons: ReportComparison[]
  finetune: FinetuneSummary | null
  timings: Record<string, number>
  /** aggregator training settings and backend (informative) */
  mil?: Record<string, unknown>
  /** what the reader must know about the comparison (e.g. extractors that saw different pixels per patch) */
  warnings?: string[]
  /** repeated CV over several split seeds; every other key describes the FIRST seed's run */
  repeats?: ReportRepeats
}

export interface LabelImportResult {
  dryRun: boolean
  imported: number
  task: 'binary' | 'multiclass' | 'single-class'
  classes: { label: string; count: number }[]
  unlabelledSlides: string[]
}

export interface SlideLabel {
  slideId: number
  name: string
  label: string
  patientId: string
  fold: number | null
}

export interface HeatmapData {
  model: string
  slideId: number
  /** N×2 level-0 px, top-left corners, row-major */
  coords: number[]
  scores: number[]
  patchSizeLevel0: number
  probabilities: number[]
  classes: string[]
}

const id = z.number().int().positive()
const modelName = z.string().trim().min(1).max(200)
const computeEntry = z.strictObject({
  parameters: z.number().nonnegative().nullable().optional(),
  gflops_per_patch: z.number().nonnegative().nullable().optional(),
  patches_per_s: z.number().nonnegative().nullable().optional()
})

export const EvalStartRequest = z.strictObject({
  projectId: id,
  models: z.array(modelName).min(1, 'name at least one model').max(12),
  roles: z.record(z.string(), z.enum(['baseline', 'finetuned', 'teacher', 'other'])).optional(),
  aggregator: z.enum(['abmil', 'mean', 'max']).default('abmil'),
  folds: z.number().int().min(2).max(20).default(5),
  seed: z.number().int().min(0).max(2 ** 31 - 1).default(0),
  /**
   * repeated CV: one patient-level split + MIL training per seed (replaces `seed`; absent = [seed]). Top-level report
   * figures are the first seed's; report.json `repeats` holds every seed and the paired test over seeds.
   */
  seeds: z
    .array(z.number().int().min(0).max(2 ** 31 - 1))
    .min(1, 'name at least one seed')
    .max(10, 'at most 10 seeds')
    .refine((xs) => new Set(xs).size === xs.length, 'a seed is listed twice')
    .optional(),
  /** output folder (absolute); default <data dir>/evals/<project>-<time> */
  out: z.string().min(1).optional(),
  force: z.boolean().default(false),
  /** folder of <model>/<slide>.h5 feature files; absent = the project's feature cache */
  featuresDir: z.string().min(1).optional(),
  gridKey: z.string().min(1).optional(),
  /** 'auto' = the machine's backend selection (ml/backend.ts); or one forced. The report records what was used (mil.backend). */
  backend: z.enum(['auto', 'tensorflow', 'webgpu', 'wasm', 'cpu']).default('auto'),
  learningRate: z.number().positive().max(1).optional(),
  maxEpochs: z.number().int().min(1).max(1000).optional(),
  patience: z.number().int().min(1).max(1000).optional(),
  hidden: z.number().int().min(1).max(4096).optional(),
  attentionDim: z.number().int().min(1).max(4096).optional(),
  bootstrapResamples: z.number().int().min(100).max(100_000).optional(),
  heatmaps: z.boolean().default(true),
  compute: z.record(z.string(), computeEntry).optional(),
  /** attach an MCM+KD run (its held-out masked L1 and loss curve) to the report */
  finetuneRunId: id.optional(),
  /** a pre-registration file (absolute path) the study was designed under: its SHA-256 goes into report.json (needs finetuneRunId) */
  preregistration: z.string().min(1).optional()
})
export type EvalStartInput = z.input<typeof EvalStartRequest>

export const evalContract = {
  'labels.import': method<LabelImportResult>()(
    z.strictObject({
      projectId: id,
      /** CSV text (desktop / HTTP) or a path readable by the core (CLI); exactly one */
      csvText: z.string().max(50_000_000).optional(),
      csvPath: z.string().min(1).optional(),
      fileName: z.string().max(500).optional(),
      dryRun: z.boolean().default(false)
    }),
    'Import slide labels from a CSV (slide id/name → label, optional patient id and fold); validates every row first'
  ),
  'labels.list': method<SlideLabel[]>()(z.strictObject({ projectId: id }), 'Labelled slides of a project'),
  'eval.start': method<Job>()(EvalStartRequest, 'Start a downstream MIL evaluation (job eval.mil): k-fold CV per model, report, heatmaps'),
  'eval.report': method<EvalReport>()(z.strictObject({ jobId: id }), 'The report.json of a finished evaluation job'),
  'eval.heatmap': method<HeatmapData>()(
    z.strictObject({ jobId: id, model: modelName, slideId: id }),
    'Per-patch scores (ABMIL attention) and out-of-fold prediction of one slide, for the viewer'
  )
} as const
