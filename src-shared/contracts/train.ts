// Contract of MCM+KD fine-tuning runs: the run config (validated here, shown in the run view), start/resume, inspection.
import { z } from 'zod'
import { method } from './define'
import type { Job } from '../domain/types'

/** Synthetic cohort: in-memory slides whose patches and teacher features come from a smooth latent field (tests, demos). */
export const SyntheticDataConfig = z.strictObject({
  slides: z.number().int().min(2).max(64).default(6),
  cols: z.number().int().min(1).max(256).default(12),
  rows: z.number().int().min(1).max(256).default(12),
  patchSize: z.number().int().min(8).max(512).default(16),
  teacherDim: z.number().int().min(2).max(4096).default(16),
  /** fraction of grid cells without tissue (holes) */
  holes: z.number().min(0).max(0.9).default(0.1),
  seed: z.number().int().min(0).default(7)
})

export const McmConfig = z.strictObject({
  seed: z.number().int().min(0).max(2 ** 31).default(0),
  /**
   * 'auto': the backend selection used everywhere (ml/backend.ts: tensorflow → hardware webgpu → wasm → cpu, honouring
   * TESSERA_BACKEND); or one forced: 'tensorflow' (tfjs-node[-gpu], when installed), 'webgpu' (Dawn; a software adapter
   * only when forced like this), 'wasm' (XNNPACK + the zoo's gradient shims), 'cpu' (pure JS: slow, but the reference
   * for the bit-identical resume check). The run records the backend and adapter it used (evaluation.backend).
   */
  backend: z.enum(['auto', 'tensorflow', 'webgpu', 'wasm', 'cpu']).default('auto'),
  /** one epoch = every tissue patch of a full window is a masked target about once (see ml/mcm/windows.ts) */
  epochs: z.number().min(0.01).max(100).default(1),
  /** optional hard cap on steps (short runs, tests) */
  maxSteps: z.number().int().min(1).optional(),
  window: z
    .strictObject({
      size: z.number().int().min(1).max(16).default(4),
      /**
       * step between window origins in grid cells; null = ⌈size/2⌉ (overlapping windows, every tissue patch inside some
       * full window is covered each epoch); = size: the non-overlapping tiling with exact-cover passes (ml/mcm/windows.ts)
       */
      stride: z.number().int().min(1).max(16).nullable().default(null)
    })
    .prefault({}),
  mask: z
    .strictObject({
      ratio: z.number().gt(0).lt(1).default(0.5),
      strategy: z.enum(['random', 'block']).default('random')
    })
    .prefault({}),
  /** windows per step, drawn from several slides (the plan is shuffled across slides); 8 windows of 4×4 at 50 % = 64 student images */
  batchWindows: z.number().int().min(1).max(256).default(8),
  optim: z
    .strictObject({
      /** at most a few times below the predictor's: a student 10× slower barely moves in one epoch (docs/mcm-recipe.md) */
      lrStudent: z.number().min(0).default(3e-4),
      lrPredictor: z.number().min(0).default(1e-3),
      weightDecay: z.number().min(0).default(0.05),
      beta1: z.number().min(0).lt(1).default(0.9),
      beta2: z.number().min(0).lt(1).default(0.999),
      eps: z.number().gt(0).default(1e-8),
      /** warm-up as a fraction of all steps, then cosine decay to minLrFraction */
      warmupFraction: z.number().min(0).max(1).default(0.1),
      schedule: z.enum(['cosine', 'constant']).default('cosine'),
      minLrFraction: z.number().min(0).max(1).default(0.01),
      /** gradient-norm clipping threshold; 0 = off */
      clipNorm: z.number().min(0).default(1),
      /**
       * 'group': each parameter group (student, predictor) is clipped to clipNorm on its own norm, so the predictor's
       * large early gradients cannot shrink the student's update; 'global': one norm over all parameters (the old rule)
       */
      clipScope: z.enum(['group', 'global']).default('group')
    })
    .prefault({}),
  loss: z
    .strictObject({
      kind: z.enum(['l1', 'smooth-l1', 'cosine']).default('l1'),
      /**
       * teacher targets: 'standardize' = per dimension, mean and sd fitted on the training slides (every dimension weighs
       * the same in the loss); per vector: layernorm (zero mean, unit variance), l2; or none
       */
      teacherNorm: z.enum(['standardize', 'layernorm', 'l2', 'none']).default('standardize'),
      /** weight λ of a plain KD term on the visible patches (0 = off) */
      visibleKdWeight: z.number().min(0).default(0),
      /**
       * 0 = off. K > 0: the targets are the top-K principal components of the training slides' normalised teacher
       * features, whitened (each of unit variance), so no few high-variance directions dominate the loss (ml/mcm/targets.ts)
       */
      targetPca: z.number().int().min(0).max(4096).default(0)
    })
    .prefault({}),
  /** keep BatchNorm running statistics fixed and normalise with them during training */
  freezeBnStats: z.boolean().default(false),
  /** also run the same epoch with the student frozen (only the predictor trains): the control */
  control: z.boolean().default(true),
  /**
   * also run the budget-matched per-patch KD ablation (ml/mcm/patch-kd.ts): windows of 1 (no context), the same number
   * of optimizer steps and of student images as the main phase; its student is scored by the teacher probe, so a reader
   * sees how much of a gain is the context. Costs about one more main phase
   */
  patchKd: z.boolean().default(false),
  augment: z
    .strictObject({
      flips: z.boolean().default(true),
      rot90: z.boolean().default(true),
      /** max relative brightness/contrast change per patch; 0 = off */
      colorJitter: z.number().min(0).max(0.5).default(0)
    })
    .prefault({}),
  predictor: z
    .strictObject({
      depth: z.number().int().min(1).max(12).default(2),
      heads: z.number().int().min(1).max(16).default(2),
      /** token width; null = half the student's feature dim (a multiple of heads, at least 2 per head): narrower than the student */
      width: z.number().int().min(2).nullable().default(null),
      mlpRatio: z.number().min(1).max(8).default(2),
      /** LayerNorm after the input projection, so visible tokens, mask token and positions share one scale */
      inputNorm: z.boolean().default(true),
      /**
       * predictor warm-up before the main phase and the control (ml/mcm/warmup.ts): masked teacher-from-teacher
       * prediction on the cached teacher features alone (no student forward), for round(warmup × main steps) steps on
       * the same windows; then the predictor's input switches to the student. 0 = off (docs/mcm-recipe.md)
       */
      warmup: z.number().min(0).max(4).default(0.5)
    })
    .prefault({}),
  checkpointEvery: z.number().int().min(1).default(50),
  heldOut: z
    .strictObject({
      /** slide names left out of training; empty = the last `fraction` of slides (by name) */
      slides: z.array(z.string()).default([]),
      /**
       * 'patient': when every slide has a patient id, the held-out set is whole patients (a patient's other slides never
       * train), named slides bring their patient's other slides along; 'slide': slides on their own
       */
      by: z.enum(['patient', 'slide']).default('patient'),
      fraction: z.number().min(0).max(0.9).default(0.2),
      maxWindows: z.number().int().min(1).default(64)
    })
    .prefault({}),
  inspection: z.strictObject({ windows: z.number().int().min(0).max(64).default(4) }).prefault({}),
  /**
   * teacher probe (ml/mcm/teacher-probe.ts): patches sampled from the training slides to fit a linear read-out from the
   * student's features to the teacher targets, and at most as many from the held-out slides to score it; 0 = off.
   * Cost: 4 × patches student forwards (1024 → ~4 s for the demo's 24k-parameter student on wasm); raise it for students
   * with wide features (a read-out of d dims wants several times d fit patches)
   */
  probe: z
    .strictObject({
      patches: z.number().int().min(0).max(65536).default(1024),
      /**
       * truth probe (ml/mcm/patch-truth.ts): the same read-out, on the same patches and features, to a per-patch
       * annotation from a `tessera-patch-truth/1` JSON file (absolute path) — a synthetic cohort's ground truth or a
       * lab's patch-level annotations. Measurement only, never a training target. null = off.
       */
      truth: z.strictObject({ file: z.string().min(1), channel: z.string().min(1) }).nullable().default(null)
    })
    .prefault({}),
  /** project slides: the patch grid (must match the one the teacher features were extracted on) */
  grid: z
    .strictObject({
      targetMpp: z.number().positive().default(0.5),
      patchSize: z.number().int().min(8).max(4096).default(224),
      overlap: z.number().int().min(0).default(0),
      minTissue: z.number().min(0).max(1).default(0.25)
    })
    .prefault({}),
  data: z
    .strictObject({
      source: z.enum(['project', 'synthetic']).default('project'),
      /** project slides: dtype of the cached teacher features to read */
      teacherDtype: z.enum(['float16', 'float32']).default('float16'),
      synthetic: SyntheticDataConfig.prefault({})
    })
    .prefault({})
})
export type McmConfig = z.output<typeof McmConfig>

/** Built-in students (tiny-cnn[-DIM]) need no registered model; every other student name is a registered zoo model. */
export function isBuiltinStudent(name: string): boolean {
  return /^tiny-cnn(?:-(\d+))?$/.test(name)
}
export type McmConfigInput = z.input<typeof McmConfig>

export type McmRunStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled' | 'interrupted'

export interface McmRun {
  id: number
  projectId: number
  jobId: number
  student: string
  teacher: string
  config: McmConfig
  status: McmRunStatus
  outputModel: string | null
  createdAt: string
}

/** main: MCM+KD; control: the frozen-student control; patch-kd: the budget-matched per-patch KD ablation */
export type McmPhase = 'main' | 'control' | 'patch-kd'

export interface LossPoint {
  phase: McmPhase
  step: number
  loss: number
  /** the predictor's learning rate at this step */
  lr: number
  /** the student's learning rate (null: the student is frozen in this phase, or a point recorded before it was kept) */
  lrStudent?: number | null
  /** L2 norm of the student's / predictor's gradients before clipping (null: frozen or not recorded) */
  gradNormStudent?: number | null
  gradNormPredictor?: number | null
}

export interface CheckpointInfo {
  phase: McmPhase
  step: number
  path: string
  manifestSha256: string
  createdAt: string
}

/** Held-out masked-patch loss (config.loss.kind in the run's target space, see `metric`) of the four models a lab compares. */
export interface McmEvaluation {
  windows: number
  maskedPatches: number
  metric: string
  before: number
  after: number
  control: number | null
  visibleMeanBaseline: number
  /** held-out R² of a linear read-out from the student's own features to the targets, before → after (absent: probe off or an older run) */
  teacherProbe?: { before: number; after: number; fitPatches: number; testPatches: number; metric: string }
  /** the compute backend the run used and what it ran on (absent: an older run) */
  backend?: BackendUsed
  /** optimizer steps and student images (visible patches through the student) of the main phase */
  budget?: { steps: number; images: number }
  /** the predictor warm-up on teacher features alone before main and control (config predictor.warmup): steps, final masked loss */
  predictorWarmup?: { steps: number; finalLoss: number }
  /** the budget-matched per-patch KD ablation (config patchKd): its budget and its student's teacher probe (null: probe off) */
  patchKd?: { steps: number; images: number; teacherProbeAfter: number | null; truthProbeAfter?: number | null }
  /** the truth probe (config probe.truth): held-out R² of the same read-out to a per-patch annotation, before → after */
  truthProbe?: { channel: string; file: string; before: number; after: number; fitPatches: number; testPatches: number; metric: string }
}

/** A backend as used by a run: name (tensorflow | webgpu | wasm | cpu), its adapter/device, and why it was chosen. */
export interface BackendUsed {
  name: string
  adapter: string
  why: string
}

export interface InspectedWindow {
  slide: string
  col: number
  row: number
  size: number
  /** row-major s×s, true = masked */
  mask: boolean[]
  /** per cell: cosine(prediction, teacher) for masked cells, null for visible ones */
  cosineBefore: (number | null)[]
  cosineAfter: (number | null)[]
}

export interface ErrorMap {
  slide: string
  cols: number
  rows: number
  /** row-major cols×rows mean masked-prediction error after training; null where no window covered the cell */
  values: (number | null)[]
}

export interface McmInspection {
  windows: InspectedWindow[]
  errorMaps: ErrorMap[]
}

export interface McmRunDetail extends McmRun {
  job: Job
  lossCurve: LossPoint[]
  checkpoints: CheckpointInfo[]
  evaluation: McmEvaluation | null
}

const runId = z.number().int().positive()

export const trainContract = {
  'train.start': method<{ run: McmRun; job: Job }>()(
    z.strictObject({
      projectId: z.number().int().positive(),
      student: z.string().min(1),
      teacher: z.string().min(1),
      config: McmConfig.prefault({})
    }),
    'Start an MCM+KD fine-tuning run (a train.mcm job)'
  ),
  'train.resume': method<{ run: McmRun; job: Job }>()(
    z.strictObject({ id: runId }),
    'Resume an interrupted, failed or cancelled run from its last checkpoint'
  ),
  'run.list': method<McmRun[]>()(z.strictObject({ projectId: z.number().int().positive().optional() }), 'List fine-tuning runs'),
  'run.get': method<McmRunDetail>()(z.strictObject({ id: runId }), 'One run: config, status, loss curve, checkpoints, evaluation'),
  'run.inspection': method<McmInspection>()(z.strictObject({ id: runId }), 'Inspection data of a finished run (masks, cosines, error maps)'),
  'run.inspectWindow': method<Job>()(
    z.strictObject({ id: runId, slide: z.string().min(1), col: z.number().int().min(0), row: z.number().int().min(0) }),
    'Start an mcm.inspect job for any window (top-left grid cell col,row); its result.window is an InspectedWindow'
  )
} as const
