// Fused sum of squares (native kernel on wasm) against the optimizer's op-by-op norms (Square + Sum per tensor, a left
// fold of Adds) on the same backend, bit for bit: the squared global norm and the per-group norms, odd sizes, one
// tensor and many (equal and unequal sizes), values over 40 orders of magnitude (the float32 summation order shows in the result).
import * as tf from '@tensorflow/tfjs'
import { describe, expect } from 'vitest'
import { AdamW } from '../../../../src-main/ml/mcm/optimizer'
import { SUM_SQUARES_KERNEL } from '../../../../src-main/ml/mcm/optimizer-kernels'
import { McmConfig } from '../../../../src-shared/contracts/train'
import { itNative, rand } from './conv-cases'
import { bits, gradsFor, kernelsOf, makeParams, wideValues, withoutKernel } from './optimizer-cases'

// many tensors, as a ResNet's: equal sizes (the kernel sums up to 8 in lockstep), unequal ones, a large one (threads)
const manySizes = [4099, 4099, 4099, 4099, 4099, 4099, 4099, 4099, 4099, 300_001, 77, 1, 2048, 2047, 2049, 64, 64, 64, 9]

/**
 * Eight equal tensors (one lockstep group) where only the one at `main` matters: the others are ~2^-30 small, so the
 * fold returns that tensor's own float32 chain bit for bit (a total over many similar sums would absorb a last-bit
 * difference). A fused multiply-add or another order changes about 30 % of such chains; 16 of them are checked.
 */
function lockstepSet(main: number, seed: number): tf.NamedTensorMap {
  return Object.fromEntries(Array.from({ length: 8 }, (_, k) => [`t${k}`, tf.tensor(rand(515, 7000 + 10 * seed + k).map((x) => (k === main ? x : x * 2 ** -30)))]))
}

async function norms(): Promise<{ global: Float32Array[]; groups: Float32Array[]; kernels: Set<string> }> {
  const params = makeParams()
  const opt = new AdamW([{ name: 'student', params: params.slice(0, 3), lr: 1 }, { name: 'predictor', params: params.slice(3), lr: 1 }, { name: 'empty', params: [], lr: 1 }],
    McmConfig.parse({}).optim)
  const global: Float32Array[] = [], groups: Float32Array[] = []
  let kernels = new Set<string>()
  for (let step = 0; step < 3; step++) {
    const grads = gradsFor(params, step)
    // one tensor alone too: the fold's first element is its own sum
    const one = { [params[4]?.variable.name as string]: grads[params[4]?.variable.name as string] as tf.Tensor }
    for (const g of [grads, one]) {
      const sq = AdamW.squaredNorm(g)
      global.push((await sq.data()) as Float32Array)
      sq.dispose()
    }
    const sets = [Object.fromEntries(manySizes.map((n, i) => [`t${i}`, tf.tensor(wideValues(n, 50 * step + i))])),
      ...(step === 0 ? Array.from({ length: 16 }, (_, i) => lockstepSet(i % 8, i)) : [])]
    for (const set of sets) {
      const sq = AdamW.squaredNorm(set)
      global.push((await sq.data()) as Float32Array)
      tf.dispose([sq, ...Object.values(set)])
    }
    if (step === 0) kernels = await kernelsOf(() => tf.dispose(opt.groupSquaredNorms(grads)))
    const byGroup = opt.groupSquaredNorms(grads)
    groups.push((await byGroup.data()) as Float32Array)
    byGroup.dispose()
    tf.dispose(Object.values(grads))
  }
  tf.dispose(params.map((p) => p.variable))
  opt.dispose()
  return { global, groups, kernels }
}

describe('fused sum of squares vs the op-by-op norms on wasm', () => {
  itNative('squared global and per-group norms bit-identical', async () => {
    const fused = await norms()
    const ops = await withoutKernel(SUM_SQUARES_KERNEL, norms)
    expect(fused.kernels.has(SUM_SQUARES_KERNEL)).toBe(true)
    expect(fused.kernels.has('Square')).toBe(false)
    expect(ops.kernels.has('Square')).toBe(true)
    for (const [a, b] of [[fused.global, ops.global], [fused.groups, ops.groups]] as const) {
      expect(a.length).toBe(b.length)
      a.forEach((x, i) => expect(bits(x).equals(bits(b[i] as Float32Array)), `${Array.from(x).join(',')} vs ${Array.from(b[i] ?? []).join(',')}`).toBe(true))
    }
    // the data is order-sensitive: the float32 results differ from the exactly summed (double) value rounded once
    const params = makeParams()
    const grads = gradsFor(params, 0)
    let exact = 0
    for (const g of Object.values(grads)) for (const x of g.dataSync()) exact += x * x
    tf.dispose([...Object.values(grads), ...params.map((p) => p.variable)])
    expect(Math.fround(exact)).not.toBe(fused.global[0]?.[0])
    expect(fused.groups[0]?.[2]).toBe(0) // a group without gradients
  })
})
