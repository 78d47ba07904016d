// tf.train.adam with each variable's update fused into one kernel (ADAMW_KERNEL) where the backend registers it (wasm
// with the native addon): ~10 single-threaded wasm ops per variable become one pass, bit-identical to tfjs's
// AdamOptimizer, whose state (moments, accumulated beta powers) it keeps and updates in the same places, so
// getWeights/setWeights/dispose are tfjs's own. Other backends run tfjs's applyGradients unchanged.
import * as tf from '@tensorflow/tfjs'
import { ADAMW_KERNEL, fusedOptimizerKernel, type AdamWKernelAttrs } from '../mcm/optimizer-kernels'

/** The AdamOptimizer fields the fused path reads and updates (private in tfjs's typings, plain properties at run time). */
interface AdamState {
  learningRate: number
  beta1: number
  beta2: number
  epsilon: number
  accBeta1: tf.Variable
  accBeta2: tf.Variable
  accumulatedFirstMoment: ({ originalName: string; variable: tf.Variable } | undefined)[]
  accumulatedSecondMoment: ({ originalName: string; variable: tf.Variable } | undefined)[]
}

export class FusedAdamOptimizer extends tf.AdamOptimizer {
  override applyGradients(variableGradients: Parameters<tf.AdamOptimizer['applyGradients']>[0]): void {
    if (!fusedOptimizerKernel(ADAMW_KERNEL)) {
      super.applyGradients(variableGradients)
      return
    }
    const s = this as unknown as AdamState
    const list = Array.isArray(variableGradients) ? variableGradients : null
    const names = list ? list.map((v) => v.name) : Object.keys(variableGradients)
    // tfjs divides by the tensor 1 - accBeta (float32 subtraction); 1 - x of a float32 x is exact in double, and the
    // kernel rounds it to float32 once: the same value
    const acc1 = s.accBeta1.dataSync()[0] as number, acc2 = s.accBeta2.dataSync()[0] as number
    tf.tidy(() => {
      names.forEach((name, i) => {
        const value = tf.engine().registeredVariables[name] as tf.Variable
        // moments by position, created on first sight, as tfjs does
        const moment = (slots: AdamState['accumulatedFirstMoment'], suffix: string): tf.Variable => {
          const slot = slots[i] ?? (slots[i] = { originalName: `${name}/${suffix}`, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) })
          return slot.variable
        }
        const m = moment(s.accumulatedFirstMoment, 'm'), v = moment(s.accumulatedSecondMoment, 'v')
        const grad = list ? list[i]?.tensor : (variableGradients as Record<string, tf.Tensor | undefined>)[name]
        if (grad == null) return
        // tfjs: value + (update · -lr), which is value - update · lr exactly
        const attrs: AdamWKernelAttrs = { b1: s.beta1, b2: s.beta2, bc1: 1 - acc1, bc2: 1 - acc2, eps: s.epsilon, lr: s.learningRate, weightDecay: 0, clip: 1 }
        const [pNew, mNew, vNew] = tf.engine().runKernel(ADAMW_KERNEL, { param: value, m, v, grad }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor[]
        m.assign(mNew as tf.Tensor)
        v.assign(vNew as tf.Tensor)
        value.assign(pNew as tf.Tensor)
      })
      s.accBeta1.assign(tf.mul(s.accBeta1, s.beta1))
      s.accBeta2.assign(tf.mul(s.accBeta2, s.beta2))
    })
    this.incrementIterations()
  }
}
