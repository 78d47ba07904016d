// One MCM+KD training phase ('main', or the frozen-student 'control'): seeded data order, AdamW, clipping, non-finite
// guard, atomic checkpoints every N steps and at the end, resume from the newest verified checkpoint.
// Resume is exact on CPU: data order, masks and augmentation are pure functions of (seed, plan position), and the
// checkpoint holds every weight, BN statistic and optimizer moment, so a resumed run ends with the same weights.
import * as tf from '@tensorflow/tfjs'
import { createHash } from 'node:crypto'
import type { McmConfig, McmPhase } from '../../../src-shared/contracts/train'
import { buildBatch, type WindowBatch } from './batch'
import { loadLatestCheckpoint, packTensors, saveCheckpoint, unpackTensors, type SaveHooks } from './checkpoint'
import type { McmDataSource } from './data-source'
import { trainingMask } from './masking'
import { createModels, exportModelTensors, importModelTensors, type McmModels } from './models'
import { AdamW, lrFactor } from './optimizer'
import { forwardBatch } from './step'
import { writeParams, type TensorBlob } from './params'
import type { McmTargets } from './targets'
import { totalSteps, type ContextWindow } from './windows'
import type { StudentFactory } from './student'

export type Phase = McmPhase

export interface StepInfo {
  phase: Phase
  step: number
  total: number
  loss: number
  /** the predictor's learning rate */
  lr: number
  /** the student's learning rate (null in the control: the student is frozen) */
  lrStudent: number | null
  /** gradient L2 norms before clipping, per group (student null in the control) */
  gradNorm: { student: number | null; predictor: number }
  patchesPerSecond: number
  etaSeconds: number | null
  skipped: boolean
}

export interface TrainerOptions {
  cfg: McmConfig
  source: McmDataSource
  /** teacher targets of the run (ml/mcm/targets.ts) */
  targets: McmTargets
  plan: readonly ContextWindow[]
  phase: Phase
  studentName: string
  /** registered (zoo) students; default: the built-in student named studentName */
  studentFactory?: StudentFactory
  checkpointDir: string
  signal?: AbortSignal
  onStep?: (s: StepInfo) => void
  onCheckpoint?: (c: { phase: Phase; step: number; dir: string; manifestSha256: string }) => void
  onNotice?: (message: string) => void
  saveHooks?: SaveHooks
  /** predictor weights to start from (the warm-up's, ml/mcm/warmup.ts); a restored checkpoint overrides them */
  initialPredictor?: Record<string, TensorBlob>
  /** fault injection for tests: the loss of these steps is replaced by NaN */
  injectNonFiniteAt?: readonly number[]
}

interface TrainerState {
  phase: Phase
  /** next step to run */
  step: number
  total: number
  optimizerT: number
  skippedSteps: number
  done: boolean
  configHash: string
}

/** After this many consecutive non-finite steps the phase stops (weights stay at the last good step). */
const MAX_CONSECUTIVE_NON_FINITE = 3

export function configHash(cfg: McmConfig): string {
  return createHash('sha256').update(JSON.stringify(cfg)).digest('hex').slice(0, 16)
}

export class CancelledError extends Error {
  constructor() {
    super('cancelled')
    this.name = 'CancelledError'
  }
}

export class McmTrainer {
  readonly models: McmModels
  private readonly optimizer: AdamW
  private readonly total: number
  private step = 0
  private skipped = 0
  private done = false

  constructor(private readonly o: TrainerOptions) {
    this.models = createModels(o.cfg, o.studentName, o.source.patchSize, o.targets.space.dim, o.studentFactory)
    if (o.initialPredictor) writeParams(this.models.predictor.params, o.initialPredictor, `${o.phase}: warmed-up predictor`)
    const frozen = o.phase === 'control'
    const predictorParams = [...this.models.predictor.params, ...this.models.kdHead]
    this.optimizer = new AdamW(
      [
        ...(frozen ? [] : [{ name: 'student', params: this.models.student.params, lr: o.cfg.optim.lrStudent }]),
        { name: 'predictor', params: predictorParams, lr: o.cfg.optim.lrPredictor }
      ],
      o.cfg.optim
    )
    this.total = totalSteps(o.plan.length, o.cfg)
  }

  get totalSteps(): number {
    return this.total
  }

  /** Restore the newest verified checkpoint of this phase, if any. Returns the step it resumes at. */
  restore(): number {
    const ck = loadLatestCheckpoint(this.o.checkpointDir)
    if (!ck) return 0
    for (const n of ck.notices) this.o.onNotice?.(n)
    const where = `checkpoint ${ck.dir}`
    const state = JSON.parse((ck.files['state.json'] as Buffer).toString('utf8')) as TrainerState
    if (state.configHash !== configHash(this.o.cfg)) throw new Error(`${where} was written with a different config; start a new run instead of resuming`)
    const tensors = unpackTensors(ck.files['tensors.bin'] as Buffer, (ck.files['tensors.json'] as Buffer).toString('utf8'))
    importModelTensors(this.models, tensors, where)
    const opt: Record<string, { shape: number[]; data: Float32Array }> = {}
    for (const [k, v] of Object.entries(tensors)) if (k.startsWith('opt/')) opt[k.slice(4)] = v
    this.optimizer.importState({ t: state.optimizerT, tensors: opt }, where)
    this.step = state.step
    this.skipped = state.skippedSteps
    this.done = state.done
    return this.step
  }

  private async checkpoint(): Promise<void> {
    const [opt, tensors] = await Promise.all([this.optimizer.exportState(), exportModelTensors(this.models)])
    for (const [k, v] of Object.entries(opt.tensors)) tensors[`opt/${k}`] = v
    const { bin, index } = packTensors(tensors)
    const state: TrainerState = {
      phase: this.o.phase,
      step: this.step,
      total: this.total,
      optimizerT: opt.t,
      skippedSteps: this.skipped,
      done: this.done,
      configHash: configHash(this.o.cfg)
    }
    const saved = await saveCheckpoint(
      this.o.checkpointDir,
      this.step,
      { 'tensors.bin': bin, 'tensors.json': index, 'state.json': JSON.stringify(state), 'config.json': JSON.stringify(this.o.cfg) },
      2,
      this.o.saveHooks
    )
    this.o.onCheckpoint?.({ phase: this.o.phase, step: this.step, ...saved })
  }

  private batchAt(step: number): Promise<WindowBatch> {
    const { cfg } = this.o
    const from = step * cfg.batchWindows
    const items = this.o.plan.slice(from, from + cfg.batchWindows).map((window, i) => ({
      window,
      mask: trainingMask(cfg, window, from + i),
      augmentKey: from + i
    }))
    return buildBatch(this.o.source, this.o.targets, items, cfg, this.models.student, this.o.signal)
  }

  /** Run the phase to its end (or until cancelled). */
  async run(): Promise<{ steps: number; skippedSteps: number }> {
    const { cfg, source } = this.o
    if (this.done) return { steps: this.total, skippedSteps: this.skipped }
    const frozen = this.o.phase === 'control'
    const varList = this.optimizer.variables
    let consecutiveBad = 0
    const started = Date.now()
    const startStep = this.step
    let patches = 0
    let next: Promise<WindowBatch> | null = this.step < this.total ? this.batchAt(this.step) : null
    while (this.step < this.total && next) {
      // yield to the event loop once per step: synchronous data sources resolve in microtasks only, and the cancel
      // message from the parent (IPC, a macrotask) must get a chance to run
      await new Promise<void>((r) => setImmediate(r))
      if (this.o.signal?.aborted) throw new CancelledError()
      const batch = await next
      // prefetch: the next batch's reads run while this step computes
      next = this.step + 1 < this.total ? this.batchAt(this.step + 1) : null
      const scale = lrFactor(this.step, this.total, cfg.optim)
      let updates: { variable: tf.Variable; value: tf.Tensor }[] = []
      const { value, grads } = tf.variableGrads(() => {
        const r = forwardBatch(this.models, batch, cfg, source.patchSize, this.o.targets.space.dim, { training: true, studentFrozen: frozen })
        updates = r.stateUpdates
        return r.loss
      }, varList)
      // the step's one readback: the loss and each group's squared gradient norm, both reads issued together
      // (tfjs-webgpu copies them in one submit). No synchronous read: it stalls a GPU pipeline.
      const sqNorms = this.optimizer.groupSquaredNorms(grads)
      const [lossData, sqData] = await Promise.all([value.data(), sqNorms.data()])
      tf.dispose([value, sqNorms])
      let loss = lossData[0] ?? NaN
      if (this.o.injectNonFiniteAt?.includes(this.step)) loss = NaN
      const norms = this.optimizer.normsByGroup(sqData)
      const norm = Math.sqrt(Object.values(norms).reduce((a, n) => a + n * n, 0))
      const lr = cfg.optim.lrPredictor * scale
      const finite = Number.isFinite(loss) && Number.isFinite(norm)
      if (finite) {
        const max = cfg.optim.clipNorm
        const factor = (n: number): number => (max > 0 && n > max ? max / n : 1)
        const clip = cfg.optim.clipScope === 'global' ? factor(norm) : Object.fromEntries(Object.entries(norms).map(([g, n]) => [g, factor(n)]))
        this.optimizer.apply(grads, scale, clip)
        for (const u of updates) u.variable.assign(u.value)
        consecutiveBad = 0
      } else {
        this.skipped++
        consecutiveBad++
        this.o.onNotice?.(
          `${this.o.phase} step ${this.step + 1}: non-finite ${Number.isFinite(loss) ? 'gradient' : 'loss'} (${loss}); the update was discarded and the weights kept from step ${this.step}`
        )
      }
      for (const g of Object.values(grads)) g.dispose()
      for (const u of updates) u.value.dispose()
      if (consecutiveBad >= MAX_CONSECUTIVE_NON_FINITE) {
        throw new Error(
          `${this.o.phase}: ${consecutiveBad} consecutive non-finite steps (last at step ${this.step + 1}); stopped. Lower the learning rate or check the teacher features; resume continues from the last checkpoint`
        )
      }
      this.step++
      patches += batch.nVisible
      const elapsed = (Date.now() - started) / 1000
      const rate = elapsed > 0 ? patches / elapsed : 0
      const stepsPerSecond = elapsed > 0 ? (this.step - startStep) / elapsed : 0
      this.o.onStep?.({
        phase: this.o.phase,
        step: this.step,
        total: this.total,
        loss,
        lr,
        lrStudent: frozen ? null : cfg.optim.lrStudent * scale,
        gradNorm: { student: norms['student'] ?? null, predictor: norms['predictor'] ?? NaN },
        patchesPerSecond: rate,
        etaSeconds: stepsPerSecond > 0 ? (this.total - this.step) / stepsPerSecond : null,
        skipped: !finite
      })
      if (this.step < this.total && this.step % cfg.checkpointEvery === 0) await this.checkpoint()
    }
    this.done = true
    await this.checkpoint()
    return { steps: this.total, skippedSteps: this.skipped }
  }

  dispose(): void {
    this.models.dispose()
    this.optimizer.dispose()
  }
}
