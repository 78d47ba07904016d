// The data-parallel trainer's Adam (FusedAdamOptimizer: one native kernel per variable on wasm) against tfjs's own
// tf.train.adam on the same backend, bit for bit: four steps, odd sizes, one tensor on the 2-thread path, gradients
// over 40 decades, a variable without a gradient in one step; parameters, both moments and the step count.
import * as tf from '@tensorflow/tfjs'
import { describe, expect } from 'vitest'
import { ADAMW_KERNEL } from '../../../../src-main/ml/mcm/optimizer-kernels'
import { FusedAdamOptimizer } from '../../../../src-main/ml/train/fused-adam'
import { itNative } from './conv-cases'
import { bits, gradsFor, kernelsOf, makeParams } from './optimizer-cases'

async function train(make: () => tf.Optimizer): Promise<{ states: Float32Array[][]; kernels: Set<string> }> {
  const params = makeParams()
  const opt = make()
  const states: Float32Array[][] = []
  let kernels = new Set<string>()
  for (let step = 0; step < 4; step++) {
    const grads = gradsFor(params, step)
    // a key without a gradient: tfjs skips the variable (moments are matched by position, so the key stays)
    if (step === 2) {
      tf.dispose(grads[params[1]?.variable.name as string] as tf.Tensor)
      ;(grads as Record<string, tf.Tensor | undefined>)[params[1]?.variable.name as string] = undefined
    }
    if (step === 1) kernels = await kernelsOf(() => opt.applyGradients(grads))
    else opt.applyGradients(grads)
    tf.dispose(Object.values(grads).filter((g) => g !== undefined))
    const weights = await opt.getWeights()
    states.push(await Promise.all([...params.map((p) => p.variable), ...weights.map((w) => w.tensor)].map((t) => t.data() as Promise<Float32Array>)))
  }
  tf.dispose(params.map((p) => p.variable))
  opt.dispose()
  return { states, kernels }
}

describe('FusedAdamOptimizer vs tf.train.adam on wasm', () => {
  itNative('bit-identical parameters, moments and step count over 4 steps', async () => {
    const fused = await train(() => new FusedAdamOptimizer(3e-4, 0.9, 0.999, 1e-8))
    const ref = await train(() => tf.train.adam(3e-4, 0.9, 0.999, 1e-8))
    expect(fused.kernels.has(ADAMW_KERNEL)).toBe(true)
    expect(fused.kernels.has('Sqrt')).toBe(false)
    expect(ref.kernels.has('Sqrt')).toBe(true)
    expect(fused.states.map((s) => s.length)).toEqual(ref.states.map((s) => s.length))
    fused.states.forEach((state, step) => state.forEach((a, i) => {
      const b = ref.states[step]?.[i] as Float32Array
      if (!bits(a).equals(bits(b))) {
        const at = a.findIndex((x, j) => !Object.is(x, b[j]))
        throw new Error(`step ${step + 1}, tensor ${i}: element ${at} is ${a[at]} fused, ${b[at]} in tf.train.adam`)
      }
    }))
    expect(bits(fused.states[0]?.[0] as Float32Array).equals(bits(fused.states[3]?.[0] as Float32Array))).toBe(false)
  })
})
