// AdamW with parameter groups (separate student/predictor learning rates), warm-up + cosine schedule, global-norm
// clipping. Written out in tf ops (not tf.train.adam) so its state can be checkpointed exactly and weight decay is decoupled.
// State is keyed by owner and name (`student/blocks.0.attn.qkv.weight`): a ViT student and the context predictor use the
// same timm-style names, and a bare-name key made them share Adam moments (or fail on shapes).
// Where the backend registers the fused kernels (wasm with the native addon) the update and the norms run one kernel per
// tensor (resp. one per norm) instead of the ops below, bit for bit the same (the ops stay the definition).
import * as tf from '@tensorflow/tfjs'
import type { McmConfig } from '../../../src-shared/contracts/train'
import { ADAMW_KERNEL, fusedOptimizerKernel, SUM_SQUARES_KERNEL, type AdamWKernelAttrs } from './optimizer-kernels'
import type { NamedParam, TensorBlob } from './params'

export interface ParamGroup {
  name: string
  params: NamedParam[]
  lr: number
}

/** Learning-rate multiplier at `step` (0-based) of `total`: linear warm-up, then cosine to minLrFraction (or constant). */
export function lrFactor(step: number, total: number, o: McmConfig['optim']): number {
  const warm = Math.round(o.warmupFraction * total)
  if (warm > 0 && step < warm) return (step + 1) / warm
  if (o.schedule === 'constant') return 1
  const span = Math.max(1, total - warm)
  const progress = Math.min(1, (step - warm) / span)
  return o.minLrFraction + (1 - o.minLrFraction) * 0.5 * (1 + Math.cos(Math.PI * progress))
}

/** The optimizer-state key of a parameter: its group (owner) and its name. */
export const stateKey = (group: string, param: string): string => `${group}/${param}`

export class AdamW {
  /** number of applied updates */
  t = 0
  private readonly m = new Map<string, tf.Variable>()
  private readonly v = new Map<string, tf.Variable>()

  constructor(
    readonly groups: ParamGroup[],
    private readonly o: McmConfig['optim']
  ) {
    for (const g of groups) {
      for (const p of g.params) {
        const key = stateKey(g.name, p.name)
        if (this.m.has(key)) throw new Error(`optimizer: parameter "${p.name}" appears twice in group "${g.name}"`)
        this.m.set(key, tf.variable(tf.zerosLike(p.variable), false))
        this.v.set(key, tf.variable(tf.zerosLike(p.variable), false))
      }
    }
  }

  get variables(): tf.Variable[] {
    return this.groups.flatMap((g) => g.params.map((p) => p.variable))
  }

  /**
   * Sum of squares of `parts` as a scalar tensor. Quirk: not tf.addN — tfjs-webgpu binds all N inputs to one shader,
   * and past the adapter's maxStorageBuffersPerShaderStage (8 by default) the pipeline is invalid, the whole submit is
   * dropped and later reads return stale buffers (found on lavapipe: wrong norms, so wrong clipping). A left fold of
   * adds sums in addN's order, so cpu stays bit-identical. The fused kernel (SUM_SQUARES_KERNEL) sums in this order too.
   */
  private static sumSquares(parts: readonly tf.Tensor[]): tf.Scalar {
    if (parts.length === 0) return tf.scalar(0)
    if (fusedOptimizerKernel(SUM_SQUARES_KERNEL)) {
      return tf.engine().runKernel(SUM_SQUARES_KERNEL, Object.fromEntries(parts.map((t, i) => [`x${i}`, t]))) as tf.Scalar
    }
    return tf.tidy(() => parts.map((g) => tf.sum(tf.square(g))).reduce((acc, t) => tf.add(acc, t)) as tf.Scalar)
  }

  /** Squared global L2 norm of the gradients as a scalar tensor (stays on the device). */
  static squaredNorm(grads: tf.NamedTensorMap): tf.Scalar {
    return AdamW.sumSquares(Object.values(grads))
  }

  /** Global L2 norm of the gradients (a plain number; NaN/Infinity when a gradient is not finite), read asynchronously. */
  static async globalNorm(grads: tf.NamedTensorMap): Promise<number> {
    const sq = AdamW.squaredNorm(grads)
    const n = Math.sqrt((await sq.data())[0] ?? NaN)
    sq.dispose()
    return n
  }

  /** Squared L2 norm of each group's gradients, in group order, as one tensor on the device (groups without any: 0). */
  groupSquaredNorms(grads: tf.NamedTensorMap): tf.Tensor1D {
    return tf.tidy(() =>
      tf.stack(this.groups.map((g) => AdamW.sumSquares(g.params.map((p) => grads[p.variable.name]).filter((t): t is tf.Tensor => t !== undefined))))
    ) as tf.Tensor1D
  }

  /** Group norms from groupSquaredNorms' values (NaN/Infinity when not finite). */
  normsByGroup(squared: ArrayLike<number>): Record<string, number> {
    return Object.fromEntries(this.groups.map((g, i) => [g.name, Math.sqrt(squared[i] ?? NaN)]))
  }

  /** L2 norm of each group's gradients, read back in one transfer. */
  async groupNorms(grads: tf.NamedTensorMap): Promise<Record<string, number>> {
    const sums = this.groupSquaredNorms(grads)
    const data = await sums.data()
    sums.dispose()
    return this.normsByGroup(data)
  }

  /**
   * Apply one update. grads are keyed by variable name; `scale` is the LR schedule factor; `clip` the clip factor, one
   * for all groups or one per group name (a group not named gets 1).
   */
  apply(grads: tf.NamedTensorMap, scale: number, clipBy: number | Record<string, number>): void {
    this.t += 1
    const { beta1: b1, beta2: b2, eps, weightDecay } = this.o
    const bc1 = 1 - b1 ** this.t
    const bc2 = 1 - b2 ** this.t
    const fused = fusedOptimizerKernel(ADAMW_KERNEL)
    for (const g of this.groups) {
      const lr = g.lr * scale
      const clip = typeof clipBy === 'number' ? clipBy : (clipBy[g.name] ?? 1)
      for (const p of g.params) {
        const grad = grads[p.variable.name]
        if (!grad) continue
        const m = this.m.get(stateKey(g.name, p.name)) as tf.Variable
        const v = this.v.get(stateKey(g.name, p.name)) as tf.Variable
        tf.tidy(() => {
          if (fused) {
            const attrs: AdamWKernelAttrs = { b1, b2, bc1, bc2, eps, lr, weightDecay: p.decay && weightDecay > 0 ? weightDecay : 0, clip }
            const [pNew, mNew, vNew] = tf.engine().runKernel(ADAMW_KERNEL, { param: p.variable, m, v, grad }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor[]
            m.assign(mNew as tf.Tensor)
            v.assign(vNew as tf.Tensor)
            p.variable.assign(pNew as tf.Tensor)
            return
          }
          const gc = clip === 1 ? grad : tf.mul(grad, clip)
          const mNew = tf.add(tf.mul(m, b1), tf.mul(gc, 1 - b1))
          const vNew = tf.add(tf.mul(v, b2), tf.mul(tf.square(gc), 1 - b2))
          m.assign(mNew)
          v.assign(vNew)
          let upd = tf.div(tf.div(mNew, bc1), tf.add(tf.sqrt(tf.div(vNew, bc2)), eps))
          if (p.decay && weightDecay > 0) upd = tf.add(upd, tf.mul(p.variable, weightDecay))
          p.variable.assign(tf.sub(p.variable, tf.mul(upd, lr)))
        })
      }
    }
  }

  /** Moments and step count for a checkpoint; the moments are read asynchronously, all at once. */
  async exportState(): Promise<{ t: number; tensors: Record<string, TensorBlob> }> {
    const t = this.t
    const entries = [...[...this.m].map(([k, v]) => [`m/${k}`, v] as const), ...[...this.v].map(([k, v]) => [`v/${k}`, v] as const)]
    const data = await Promise.all(entries.map(([, v]) => v.data() as Promise<Float32Array>))
    const tensors: Record<string, TensorBlob> = {}
    entries.forEach(([k, v], i) => { tensors[k] = { shape: [...v.shape], data: data[i] as Float32Array } })
    return { t, tensors }
  }

  importState(state: { t: number; tensors: Record<string, TensorBlob> }, where: string): void {
    this.t = state.t
    for (const [prefix, map] of [['m', this.m], ['v', this.v]] as const) {
      for (const [k, t] of map) {
        const s = state.tensors[`${prefix}/${k}`]
        if (!s || s.data.length !== t.size) throw new Error(`${where}: optimizer state ${prefix}/${k} missing or wrong size`)
        t.assign(tf.tensor(s.data, s.shape, 'float32'))
      }
    }
  }

  dispose(): void {
    for (const t of [...this.m.values(), ...this.v.values()]) t.dispose()
  }
}
