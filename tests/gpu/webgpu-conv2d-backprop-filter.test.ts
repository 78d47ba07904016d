// Our WGSL Conv2DBackpropFilter (src-main/ml/webgpu-kernels) against the cpu backend and a float64 reference, on tiny
// ResNet-18/50 shapes (7×7 stem, 3×3 and 1×1, stride 1 and 2, same/valid/explicit and asymmetric pads), both with the
// default split-K plan and with split-K forced (every case then runs the partial-tile pass plus the reduction pass).
// K = N·OH·OW ≥ 30 everywhere, so forced split-K really splits. Runs forced on webgpu (Mesa lavapipe in CI: correctness only); skips with the reason where there is no adapter.
//
// Tolerance, per element: |webgpu − cpu| ≤ 2·γ_K·Σ|x·dy| and |webgpu − exact| ≤ γ_K·Σ|x·dy|, γ_K = K·u/(1 − K·u),
// u = 2⁻²⁴, K = N·OH·OW terms (the float32 bound of a length-K dot product in ANY summation order, Higham §3.1: the
// kernel sums 16-deep slices per split, then the splits; cpu sums sequentially). Plus the suite's usual max error
// relative to max|cpu| < 1e-4 (these shapes' bound stays under 4e-5 by it; a wrong index moves it by > 1e-1).
import * as tf from '@tensorflow/tfjs'
import { describe, expect, it } from 'vitest'
import { describeBackends, useBackend } from '../../src-main/ml/backend'
import { planSplitK } from '../../src-main/ml/webgpu-kernels/conv2d-backprop-filter'
import { installWebgpuKernels, webgpuKernelActive } from '../../src-main/ml/webgpu-kernels/index'
import { relErr } from './checks'

type Pad = 'same' | 'valid' | number | [[number, number], [number, number], [number, number], [number, number]]
interface Case { name: string; x: [number, number, number, number]; f: [number, number, number, number]; stride: number; pad: Pad }

const cases: Case[] = [
  { name: '7×7 s2 pad 3 stem (M 147: three row tiles)', x: [2, 16, 16, 3], f: [7, 7, 3, 8], stride: 2, pad: 3 },
  { name: '7×7 s2 pad 3 stem, K 1024 (default plan splits)', x: [4, 32, 32, 3], f: [7, 7, 3, 8], stride: 2, pad: 3 },
  { name: '3×3 s1 same (basic block)', x: [2, 6, 6, 16], f: [3, 3, 16, 16], stride: 1, pad: 'same' },
  { name: '3×3 s2 pad 1, odd input', x: [2, 7, 7, 8], f: [3, 3, 8, 16], stride: 2, pad: 1 },
  { name: '3×3 s2 same, even input (pads 0/1)', x: [2, 8, 8, 4], f: [3, 3, 4, 6], stride: 2, pad: 'same' },
  { name: '3×3 s2 asymmetric explicit pads', x: [2, 9, 8, 5], f: [3, 3, 5, 7], stride: 2, pad: [[0, 0], [1, 2], [0, 1], [0, 0]] },
  { name: '3×3 s1 valid', x: [2, 6, 6, 3], f: [3, 3, 3, 4], stride: 1, pad: 'valid' },
  { name: '1×1 s2 valid (downsample shortcut)', x: [2, 8, 8, 16], f: [1, 1, 16, 32], stride: 2, pad: 'valid' },
  { name: '1×1 s1 valid (bottleneck; CO 70 and M 72: two tiles each way)', x: [2, 4, 4, 72], f: [1, 1, 72, 70], stride: 1, pad: 'valid' }
]

function rand(n: number, seed: number): Float32Array {
  const out = new Float32Array(n)
  let s = seed >>> 0
  for (let i = 0; i < n; i++) { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; out[i] = s / 2 ** 31 - 1 }
  return out
}

function convInfo(c: Case): tf.backend_util.Conv2DInfo {
  return tf.backend_util.computeConv2DInfo(c.x, c.f, c.stride, 1, c.pad, undefined, false, 'channelsLast')
}

/** Exact (float64) dW and Σ|x·dy| per weight, straight from the definition. */
function reference(c: Case, x: Float32Array, dy: Float32Array): { exact: Float64Array; abs: Float64Array; k: number } {
  const i = convInfo(c)
  const exact = new Float64Array(tf.util.sizeFromShape(c.f)), abs = new Float64Array(exact.length)
  for (let n = 0; n < i.batchSize; n++) for (let oh = 0; oh < i.outHeight; oh++) for (let ow = 0; ow < i.outWidth; ow++) {
    for (let kh = 0; kh < i.filterHeight; kh++) for (let kw = 0; kw < i.filterWidth; kw++) {
      const ih = oh * i.strideHeight - i.padInfo.top + kh, iw = ow * i.strideWidth - i.padInfo.left + kw
      if (ih < 0 || ih >= i.inHeight || iw < 0 || iw >= i.inWidth) continue
      for (let ci = 0; ci < i.inChannels; ci++) {
        const xv = x[((n * i.inHeight + ih) * i.inWidth + iw) * i.inChannels + ci] as number
        for (let co = 0; co < i.outChannels; co++) {
          const p = xv * (dy[((n * i.outHeight + oh) * i.outWidth + ow) * i.outChannels + co] as number)
          const o = ((kh * i.filterWidth + kw) * i.inChannels + ci) * i.outChannels + co
          exact[o] = (exact[o] as number) + p
          abs[o] = (abs[o] as number) + Math.abs(p)
        }
      }
    }
  }
  return { exact, abs, k: i.batchSize * i.outHeight * i.outWidth }
}

async function filterGrad(c: Case, x: Float32Array, dy: Float32Array): Promise<Float32Array> {
  const i = convInfo(c)
  const tx = tf.tensor4d(x, c.x), tdy = tf.tensor4d(dy, i.outShape)
  const dw = tf.engine().runKernel('Conv2DBackpropFilter', { x: tx, dy: tdy }, { strides: c.stride, pad: c.pad, dataFormat: 'NHWC', filterShape: c.f }) as tf.Tensor
  const out = (await dw.data()) as Float32Array
  tf.dispose([tx, tdy, dw])
  return out
}

let adapter: string | null = null
try {
  adapter = (await describeBackends({ force: 'webgpu' })).adapter
} catch (e) {
  console.log(`[webgpu kernels] SKIPPED: no webgpu adapter — ${(e as Error).message}`)
}

describe.skipIf(adapter === null)(`WGSL Conv2DBackpropFilter on webgpu (${adapter}) vs cpu`, () => {
  const forced = { targetWorkgroups: 256, minChunk: 16 } // split-K down to one 16-deep slice per split
  for (const c of cases) {
    it(c.name, async () => {
      const i = convInfo(c)
      const x = rand(tf.util.sizeFromShape(c.x), 11), dy = rand(tf.util.sizeFromShape(i.outShape), 12)
      await useBackend('cpu')
      const cpu = await filterGrad(c, x, dy)
      const { exact, abs, k } = reference(c, x, dy)
      const u = 2 ** -24, gamma = (k * u) / (1 - k * u)
      const m = c.f[0] * c.f[1] * c.f[2]
      await useBackend('webgpu')
      for (const [mode, split] of [['default plan', {}], ['split-K forced', forced]] as const) {
        installWebgpuKernels({ splitK: split })
        expect(webgpuKernelActive('Conv2DBackpropFilter')).toBe(true)
        const plan = planSplitK(m, c.f[3], k, split)
        if (mode === 'split-K forced') expect(plan.splits).toBeGreaterThan(1)
        const gpu = await filterGrad(c, x, dy)
        let worst = 0
        for (let o = 0; o < gpu.length; o++) {
          const g = gpu[o] as number, b = abs[o] as number
          worst = Math.max(worst, Math.abs(g - (cpu[o] as number)) / Math.max(2 * gamma * b, 1e-30))
          expect(Math.abs(g - (cpu[o] as number)), `${mode} dW[${o}] vs cpu`).toBeLessThanOrEqual(2 * gamma * b)
          expect(Math.abs(g - (exact[o] as number)), `${mode} dW[${o}] vs float64`).toBeLessThanOrEqual(gamma * b)
        }
        const rel = relErr(gpu, cpu)
        console.log(`[webgpu kernels] ${c.name}, ${mode} (${plan.splits} split${plan.splits > 1 ? 's' : ''}): max rel ${rel.toExponential(2)}, worst |Δ|/bound ${worst.toFixed(3)}`)
        expect(rel).toBeLessThan(1e-4)
      }
      installWebgpuKernels() // back to the default plan for later suites
    })
  }

  it('TESSERA_WEBGPU_KERNELS=0 puts tfjs-webgpu\'s kernel back, and the adapter string says which runs', async () => {
    await useBackend('webgpu')
    expect((await describeBackends({ force: 'webgpu' })).adapter).toMatch(/Tessera WGSL kernels: Conv2DBackpropFilter/)
    process.env['TESSERA_WEBGPU_KERNELS'] = '0'
    try {
      installWebgpuKernels()
      expect(webgpuKernelActive('Conv2DBackpropFilter')).toBe(false)
      expect((await describeBackends({ force: 'webgpu' })).adapter).toMatch(/tfjs-webgpu kernels only \(TESSERA_WEBGPU_KERNELS=0\)/)
    } finally {
      delete process.env['TESSERA_WEBGPU_KERNELS']
      installWebgpuKernels()
    }
    expect(webgpuKernelActive('Conv2DBackpropFilter')).toBe(true)
  })
})
