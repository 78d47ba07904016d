// Predictor warm-up (config predictor.warmup, issue #15): before the student trains, the context predictor learns
// masked teacher-from-teacher prediction on the cached teacher features alone: the visible cells' teacher targets enter
// through a warm-up input projection (targetDim → width, with bias; dropped afterwards), the masked cells get the mask
// token, and the loss is the run's loss on the masked cells. No image is read and no student forward runs, so a step
// costs only the predictor. The main phase and the frozen-student control then start from the same warmed predictor
// (their own input projection, from the student, is still at its seeded init), so the student's first gradients come
// from a predictor that already uses context. Deterministic: seeded init, plan order and masks.
import * as tf from '@tensorflow/tfjs'
import type { McmConfig } from '../../../src-shared/contracts/train'
import type { McmDataSource } from './data-source'
import { trainingMask } from './masking'
import type { McmModels } from './models'
import { maskedMean, perPatchLoss } from './objective'
import { AdamW, lrFactor } from './optimizer'
import { constParam, disposeParams, normalParam, readParams, type TensorBlob } from './params'
import { Rng, STREAM } from './rng'
import type { McmTargets } from './targets'
import { CancelledError } from './trainer'
import type { ContextWindow } from './windows'

export interface WarmupResult {
  steps: number
  /** mean masked loss of the last 10 % of the warm-up steps */
  finalLoss: number
  /** predictor weights after the warm-up (ContextPredictor names) */
  predictor: Record<string, TensorBlob>
}

/** Warm-up steps of a run: round(predictor.warmup × main steps). */
export function warmupSteps(cfg: McmConfig, mainSteps: number): number {
  return cfg.window.size === 1 ? 0 : Math.round(cfg.predictor.warmup * mainSteps)
}

export async function warmUpPredictor(o: {
  cfg: McmConfig
  source: McmDataSource
  targets: McmTargets
  plan: readonly ContextWindow[]
  models: McmModels
  steps: number
  signal?: AbortSignal
}): Promise<WarmupResult> {
  const { cfg, targets, plan, models, steps } = o
  const td = targets.space.dim
  const width = models.predictor.opts.width
  const rng = Rng.keyed(cfg.seed, STREAM.warmup, 0)
  const proj = [normalParam('warmup_proj.weight', [td, width], Math.sqrt(1 / td), rng), constParam('warmup_proj.bias', [width], 0)]
  const [pw, pb] = proj.map((p) => p.variable) as [tf.Variable, tf.Variable]
  const optimizer = new AdamW([{ name: 'predictor', params: [...models.predictor.params, ...proj], lr: cfg.optim.lrPredictor }], cfg.optim)
  const s = cfg.window.size
  const n = s * s
  const losses: number[] = []
  try {
    for (let step = 0; step < steps; step++) {
      if (o.signal?.aborted) throw new CancelledError()
      const tokens = new Float32Array(cfg.batchWindows * n * td)
      const target = new Float32Array(cfg.batchWindows * n * td)
      const mask = new Float32Array(cfg.batchWindows * n)
      for (let w = 0; w < cfg.batchWindows; w++) {
        const pos = (step * cfg.batchWindows + w) % plan.length
        const win = plan[pos] as ContextWindow
        const m = trainingMask(cfg, win, pos)
        win.cells.forEach((index, cell) => {
          const t = targets.target(win.slide, index)
          const row = w * n + cell
          target.set(t, row * td)
          if (m[cell]) mask[row] = 1
          else tokens.set(t, row * td)
        })
      }
      const { value, grads } = tf.variableGrads(() => {
        const masked = tf.tensor3d(mask, [cfg.batchWindows, n, 1])
        const x = tf.tensor3d(tokens, [cfg.batchWindows, n, td])
        const pred = models.predictor.forward(x, masked, (t) => {
          const [b, k, d] = t.shape
          return tf.reshape(tf.add(tf.matMul(tf.reshape(t, [b * k, d]), pw as tf.Tensor2D), pb), [b, k, width])
        })
        return maskedMean(perPatchLoss(pred, tf.tensor3d(target, [cfg.batchWindows, n, td]), cfg.loss.kind), masked) as tf.Scalar
      }, optimizer.variables)
      const sq = optimizer.groupSquaredNorms(grads)
      const [lossData, sqData] = await Promise.all([value.data(), sq.data()])
      tf.dispose([value, sq])
      const loss = lossData[0] ?? NaN
      const norm = optimizer.normsByGroup(sqData)['predictor'] ?? NaN
      if (Number.isFinite(loss) && Number.isFinite(norm)) {
        const max = cfg.optim.clipNorm
        optimizer.apply(grads, lrFactor(step, steps, cfg.optim), max > 0 && norm > max ? max / norm : 1)
        losses.push(loss)
      }
      for (const g of Object.values(grads)) g.dispose()
    }
    const tail = losses.slice(Math.floor(losses.length * 0.9))
    const finalLoss = tail.length ? tail.reduce((a, b) => a + b, 0) / tail.length : NaN
    return { steps, finalLoss, predictor: await readParams(models.predictor.params) }
  } finally {
    optimizer.dispose()
    disposeParams(proj)
  }
}
