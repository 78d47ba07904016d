// The training form's flat model ↔ the MCM+KD run config: defaults come from the contract's schema (the paper's
// one epoch), validation is the same zod schema the core applies, with messages naming the field.
import { McmConfig, type McmConfigInput } from '../../src-shared/contracts/train'

export interface McmFormModel {
  student: string
  teacher: string
  source: 'project' | 'synthetic'
  syntheticSlides: number
  syntheticCols: number
  syntheticRows: number
  gridMpp: number
  gridPatch: number
  epochs: number
  /** empty string = no cap */
  maxSteps: string
  windowSize: number
  maskRatio: number
  maskStrategy: 'random' | 'block'
  batchWindows: number
  lrStudent: number
  lrPredictor: number
  lossKind: 'l1' | 'smooth-l1' | 'cosine'
  control: boolean
  seed: number
  backend: McmConfig['backend']
}

/** Defaults: the schema's own (one epoch, s = 4, ratio 0.5…) plus the built-in student. */
export function defaultForm(): McmFormModel {
  const d = McmConfig.parse({})
  return {
    student: 'tiny-cnn',
    teacher: '',
    source: d.data.source,
    syntheticSlides: d.data.synthetic.slides,
    syntheticCols: d.data.synthetic.cols,
    syntheticRows: d.data.synthetic.rows,
    gridMpp: d.grid.targetMpp,
    gridPatch: d.grid.patchSize,
    epochs: d.epochs,
    maxSteps: '',
    windowSize: d.window.size,
    maskRatio: d.mask.ratio,
    maskStrategy: d.mask.strategy,
    batchWindows: d.batchWindows,
    lrStudent: d.optim.lrStudent,
    lrPredictor: d.optim.lrPredictor,
    lossKind: d.loss.kind,
    control: d.control,
    seed: d.seed,
    backend: d.backend
  }
}

/** Backends the trainer's schema accepts (shown with the reason GPU ones are absent). */
export function trainerBackends(): string[] {
  return [...McmConfig.shape.backend.unwrap().options]
}

export function toConfigInput(f: McmFormModel): McmConfigInput {
  const maxSteps = f.maxSteps.trim() === '' ? undefined : Number(f.maxSteps)
  return {
    seed: f.seed,
    backend: f.backend,
    epochs: f.epochs,
    ...(maxSteps !== undefined ? { maxSteps } : {}),
    window: { size: f.windowSize },
    mask: { ratio: f.maskRatio, strategy: f.maskStrategy },
    batchWindows: f.batchWindows,
    optim: { lrStudent: f.lrStudent, lrPredictor: f.lrPredictor },
    loss: { kind: f.lossKind },
    control: f.control,
    grid: { targetMpp: f.gridMpp, patchSize: f.gridPatch },
    data: { source: f.source, synthetic: { slides: f.syntheticSlides, cols: f.syntheticCols, rows: f.syntheticRows } }
  }
}

/** Field problems, one message each ('mask.ratio: …'); empty when the config is valid. */
export function validateForm(f: McmFormModel): string[] {
  const problems: string[] = []
  if (!f.student.trim()) problems.push('student: choose the model to fine-tune')
  if (!f.teacher.trim()) problems.push('teacher: choose the teacher whose features are the targets')
  const parsed = McmConfig.safeParse(toConfigInput(f))
  if (!parsed.success) for (const issue of parsed.error.issues) problems.push(`${issue.path.join('.') || 'config'}: ${issue.message}`)
  return problems
}
