// Checks the wasm kernel shims (conv gradients, transposed batch matmul) against the pure-JS cpu backend on random shapes.
process.env['TESSERA_NATIVE_KERNELS'] = '0' // these tests check the wasm shims (the fallback when native/dnnl is absent), not the native kernels
import { describe, expect, it, beforeAll } from 'vitest'
import * as tf from '@tensorflow/tfjs'
import { useBackend } from '../../../src-main/ml/backend'

/** Deterministic pseudo-random values in [-1, 1). */
function rand(n: number, seed: number): Float32Array {
  const out = new Float32Array(n)
  let s = seed >>> 0
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0
    out[i] = s / 2 ** 31 - 1
  }
  return out
}

function maxRelErr(a: Float32Array, b: Float32Array): number {
  let diff = 0, scale = 1e-6
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs((a[i] as number) - (b[i] as number)))
    scale = Math.max(scale, Math.abs(b[i] as number))
  }
  return diff / scale
}

interface ConvCase { n: number; h: number; w: number; ci: number; co: number; k: number; stride: 1 | 2; pad: 'same' | 'valid' | number }

async function convGrads(backend: 'cpu' | 'wasm', c: ConvCase): Promise<{ dx: Float32Array; dw: Float32Array }> {
  await useBackend(backend)
  const x = tf.tensor4d(rand(c.n * c.h * c.w * c.ci, 1), [c.n, c.h, c.w, c.ci])
  const w = tf.tensor4d(rand(c.k * c.k * c.ci * c.co, 2), [c.k, c.k, c.ci, c.co])
  const y = tf.conv2d(x, w, c.stride, c.pad)
  const r = tf.tensor(rand(y.size, 3), y.shape)
  const g = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.stride, c.pad), r)))
  const [dx, dw] = g([x, w])
  const out = { dx: (await (dx as tf.Tensor).data()) as Float32Array, dw: (await (dw as tf.Tensor).data()) as Float32Array }
  tf.dispose([x, w, y, r, dx as tf.Tensor, dw as tf.Tensor])
  return out
}

describe('wasm kernel shims vs cpu backend', () => {
  beforeAll(async () => { await useBackend('wasm') })

  const cases: ConvCase[] = [
    { n: 2, h: 9, w: 7, ci: 3, co: 5, k: 3, stride: 1, pad: 'same' },
    { n: 2, h: 9, w: 7, ci: 3, co: 5, k: 3, stride: 2, pad: 'same' },
    { n: 1, h: 10, w: 13, ci: 4, co: 6, k: 3, stride: 2, pad: 'valid' },
    { n: 2, h: 8, w: 6, ci: 5, co: 4, k: 1, stride: 1, pad: 'valid' },
    { n: 2, h: 8, w: 6, ci: 5, co: 4, k: 1, stride: 2, pad: 'same' },
    { n: 1, h: 17, w: 12, ci: 3, co: 8, k: 7, stride: 2, pad: 'same' },
    { n: 1, h: 11, w: 14, ci: 2, co: 3, k: 7, stride: 1, pad: 'valid' },
    // numeric (symmetric, PyTorch-style) padding as the zoo's ResNets use it
    { n: 2, h: 8, w: 8, ci: 3, co: 4, k: 3, stride: 2, pad: 1 },
    { n: 2, h: 7, w: 9, ci: 3, co: 4, k: 3, stride: 2, pad: 1 },
    { n: 1, h: 16, w: 12, ci: 3, co: 4, k: 7, stride: 2, pad: 3 },
    { n: 2, h: 6, w: 6, ci: 4, co: 4, k: 3, stride: 1, pad: 1 },
    // 1×1 stride 2 on odd sizes (the conv-then-dilate path)
    { n: 1, h: 7, w: 9, ci: 3, co: 2, k: 1, stride: 2, pad: 'valid' }
  ]
  for (const c of cases) {
    it(`conv2d grads k${c.k} s${c.stride} ${c.pad} ${c.h}x${c.w} ${c.ci}->${c.co}`, async () => {
      const ref = await convGrads('cpu', c)
      const got = await convGrads('wasm', c)
      expect(got.dx.length).toBe(ref.dx.length)
      expect(got.dw.length).toBe(ref.dw.length)
      expect(maxRelErr(got.dx, ref.dx)).toBeLessThan(1e-5)
      expect(maxRelErr(got.dw, ref.dw)).toBeLessThan(1e-5)
    })
  }

  for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]] as const) {
    it(`batchMatMul transposeA=${ta} transposeB=${tb}`, async () => {
      const run = async (backend: 'cpu' | 'wasm'): Promise<Float32Array> => {
        await useBackend(backend)
        const a = tf.tensor3d(rand(2 * 5 * 7, 4), ta ? [2, 7, 5] : [2, 5, 7])
        const b = tf.tensor3d(rand(2 * 7 * 3, 5), tb ? [2, 3, 7] : [2, 7, 3])
        const y = tf.matMul(a, b, ta, tb)
        const data = (await y.data()) as Float32Array
        tf.dispose([a, b, y])
        return data
      }
      const ref = await run('cpu')
      expect(maxRelErr(await run('wasm'), ref)).toBeLessThan(1e-5)
    })
  }

  it('shims do not leak backend memory', async () => {
    await useBackend('wasm')
    const c = cases[1] as ConvCase
    await convGrads('wasm', c)
    const before = tf.memory()
    await convGrads('wasm', c)
    await convGrads('wasm', c)
    const after = tf.memory()
    expect(after.numTensors).toBe(before.numTensors)
    expect(after.numBytes).toBe(before.numBytes)
  })
})
