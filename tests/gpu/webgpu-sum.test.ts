// Our WGSL Sum over leading/middle axes (src-main/ml/webgpu-kernels/sum.ts) against the cpu backend: BatchNorm's
// sumNHW shapes (axis 2 of NHWC, then axes [0, 1]), keepDims, a middle axis, a split reduction (planned and forced),
// and the reductions it hands to tfjs-webgpu (innermost axis, int32). Forced webgpu (lavapipe in CI: correctness only).
//
// Tolerance, per element: |webgpu − cpu| ≤ 2·γ_R·Σ|x|, γ_R = R·u/(1 − R·u), u = 2⁻²⁴, R the number of terms: the
// float32 bound of a length-R sum in any order (Higham §4.2) for the kernel, and more than enough for the cpu backend,
// which accumulates in a JS double and rounds once (so no bit-identity to ask for). int32 sums must be equal.
import * as tf from '@tensorflow/tfjs'
import { describe, expect, it } from 'vitest'
import { describeBackends, useBackend } from '../../src-main/ml/backend'
import { middleAxesView, planSplitR, type SplitROptions } from '../../src-main/ml/webgpu-kernels/sum'
import { installWebgpuKernels, webgpuKernelActive } from '../../src-main/ml/webgpu-kernels/index'

interface Case { name: string; shape: number[]; axis: number[]; keepDims?: boolean; split?: SplitROptions; dtype?: 'int32'; ours: boolean; splits: number }

const cases: Case[] = [
  { name: 'BN stage 1: axis 2 of NHWC', shape: [2, 6, 5, 8], axis: [2], ours: true, splits: 1 },
  { name: 'BN stage 2: axes [0, 1] of NHC', shape: [2, 6, 8], axis: [0, 1], ours: true, splits: 1 },
  { name: 'axes [0, 1, 2] of NHWC, keepDims', shape: [2, 4, 6, 3], axis: [0, 1, 2], keepDims: true, ours: true, splits: 1 },
  { name: 'middle axis 1 of rank 3', shape: [3, 5, 7], axis: [1], ours: true, splits: 1 },
  { name: 'long reduction, small output: default plan splits R', shape: [1, 1500, 16], axis: [0, 1], ours: true, splits: 11 },
  { name: 'axis 2 of NHWC, split forced', shape: [2, 6, 5, 8], axis: [2], split: { minChunk: 2 }, ours: true, splits: 2 },
  { name: 'innermost axis: tfjs-webgpu\'s kernel', shape: [2, 3, 4], axis: [2], ours: false, splits: 1 },
  { name: 'int32: tfjs-webgpu\'s kernel', shape: [4, 6], axis: [0], dtype: 'int32', ours: false, splits: 1 }
]

function values(c: Case): Float32Array | Int32Array {
  const n = c.shape.reduce((p, d) => p * d, 1)
  const out = c.dtype === 'int32' ? new Int32Array(n) : new Float32Array(n)
  let s = 99
  for (let i = 0; i < n; i++) { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; out[i] = c.dtype === 'int32' ? (s % 201) - 100 : s / 2 ** 31 - 1 }
  return out
}

async function sum(c: Case, v: Float32Array | Int32Array): Promise<{ data: ArrayLike<number>; shape: number[] }> {
  const x = tf.tensor(v, c.shape, c.dtype ?? 'float32')
  const y = tf.sum(x, c.axis, c.keepDims ?? false)
  const out = { data: await y.data(), shape: y.shape }
  tf.dispose([x, y])
  return out
}

let adapter: string | null = null
try {
  adapter = (await describeBackends({ force: 'webgpu' })).adapter
} catch (e) {
  console.log(`[webgpu kernels] SKIPPED: no webgpu adapter — ${(e as Error).message}`)
}

describe.skipIf(adapter === null)(`WGSL Sum on webgpu (${adapter}) vs cpu`, () => {
  for (const c of cases) {
    it(c.name, async () => {
      const v = values(c)
      await useBackend('cpu')
      const cpu = await sum(c, v)
      const absSum = await sum(c, v.map(Math.abs)) // Σ|x| per output, for the bound
      await useBackend('webgpu')
      installWebgpuKernels({ splitR: c.split ?? {} })
      try {
        expect(webgpuKernelActive('Sum')).toBe(true)
        const view = middleAxesView(c.shape, c.axis)
        expect(view !== null && c.dtype === undefined).toBe(c.ours)
        if (view && c.ours) expect(planSplitR(view.a * view.b, view.r, c.split).splits).toBe(c.splits)
        const gpu = await sum(c, v)
        expect(gpu.shape).toEqual(cpu.shape)
        if (c.dtype === 'int32') return expect(Array.from(gpu.data)).toEqual(Array.from(cpu.data))
        const r = c.axis.reduce((p, a) => p * (c.shape[a] as number), 1), u = 2 ** -24, gamma = (r * u) / (1 - r * u)
        for (let o = 0; o < cpu.data.length; o++) {
          const d = Math.abs((gpu.data[o] as number) - (cpu.data[o] as number))
          expect(d, `out[${o}]`).toBeLessThanOrEqual(2 * gamma * (absSum.data[o] as number))
        }
      } finally {
        installWebgpuKernels()
      }
    })
  }
})
