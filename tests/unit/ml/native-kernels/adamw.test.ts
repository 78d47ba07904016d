// Fused AdamW (native kernel on wasm) against the optimizer's op-by-op path on the same backend, bit for bit: four steps
// with a changing clip factor (global and per group), schedule scale and bias correction, weight decay on and off, odd
// sizes, one tensor on the 2-thread path, and gradients whose squares underflow to subnormals. Then checkpoints and
// resumes are unaffected by which path ran. Also: the fused path never writes into a variable's shared memory.
import * as tf from '@tensorflow/tfjs'
import { describe, expect } from 'vitest'
import { AdamW } from '../../../../src-main/ml/mcm/optimizer'
import { ADAMW_KERNEL } from '../../../../src-main/ml/mcm/optimizer-kernels'
import { McmConfig } from '../../../../src-shared/contracts/train'
import { itNative } from './conv-cases'
import { bits, gradsFor, kernelsOf, makeParams, withoutKernel } from './optimizer-cases'

/** A 2-thread oneDNN convolution first: its OpenMP threads then run the fused kernel (they must not flush subnormals). */
function warmOneDnnThreads(): void {
  tf.tidy(() => tf.conv2d(tf.ones([2, 16, 16, 64]) as tf.Tensor4D, tf.ones([3, 3, 64, 64]) as tf.Tensor4D, 1, 'same').dataSync())
}

const clipsPerStep: (number | Record<string, number>)[] = [1, 0.37, { student: 0.123 }, 3.1e-3]

/** Params, m and v after each of four steps (flattened in a fixed order), and the kernels the second step ran. */
async function train(weightDecay: number): Promise<{ states: Float32Array[][]; kernels: Set<string>; cloneKept: boolean }> {
  const params = makeParams()
  const optim = { ...McmConfig.parse({}).optim, weightDecay }
  const opt = new AdamW([{ name: 'student', params: params.slice(0, 3), lr: 1e-3 }, { name: 'predictor', params: params.slice(3), lr: 3e-4 }], optim)
  const states: Float32Array[][] = []
  let kernels = new Set<string>()
  const first = params[0]?.variable as tf.Variable
  const clone = tf.clone(first) // shares the variable's data until the variable is reassigned
  const before = (await clone.data()) as Float32Array
  for (let step = 0; step < clipsPerStep.length; step++) {
    const grads = gradsFor(params, step)
    const apply = (): void => opt.apply(grads, 0.9 ** step, clipsPerStep[step] as number | Record<string, number>)
    if (step === 1) kernels = await kernelsOf(apply)
    else apply()
    tf.dispose(Object.values(grads))
    const state = await opt.exportState()
    const moments = Object.keys(state.tensors).sort().map((k) => state.tensors[k]?.data as Float32Array)
    states.push([...(await Promise.all(params.map((p) => p.variable.data() as Promise<Float32Array>))), ...moments])
  }
  const cloneKept = bits((await clone.data()) as Float32Array).equals(bits(before))
  tf.dispose([clone, ...params.map((p) => p.variable)])
  opt.dispose()
  return { states, kernels, cloneKept }
}

describe('fused AdamW kernel vs the op-by-op AdamW on wasm', () => {
  for (const weightDecay of [0.05, 0]) {
    itNative(`bit-identical over 4 steps, weight decay ${weightDecay}, clip 1 / 0.37 / per group / 3.1e-3`, async () => {
      warmOneDnnThreads()
      const fused = await train(weightDecay)
      const ops = await withoutKernel(ADAMW_KERNEL, () => train(weightDecay))
      expect(fused.kernels.has(ADAMW_KERNEL)).toBe(true)
      expect(fused.kernels.has('Sqrt')).toBe(false)
      expect(ops.kernels.has(ADAMW_KERNEL)).toBe(false)
      expect(ops.kernels.has('Sqrt')).toBe(true)
      expect(fused.states.length).toBe(4)
      fused.states.forEach((state, step) => {
        state.forEach((a, i) => {
          const b = ops.states[step]?.[i] as Float32Array
          if (!bits(a).equals(bits(b))) {
            const at = a.findIndex((x, j) => !Object.is(x, b[j]))
            throw new Error(`step ${step + 1}, tensor ${i}: element ${at} is ${a[at]} fused, ${b[at]} op by op`)
          }
        })
      })
      // the updates did something (moments moved off zero, parameters off their start)
      expect(fused.states[3]?.some((t) => t.some((x) => x !== 0 && Number.isFinite(x)))).toBe(true)
      expect(bits(fused.states[0]?.[0] as Float32Array).equals(bits(fused.states[3]?.[0] as Float32Array))).toBe(false)
      expect(fused.cloneKept).toBe(true)
    })
  }
})
