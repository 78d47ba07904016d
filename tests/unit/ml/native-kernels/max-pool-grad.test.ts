// Native MaxPoolGrad on the wasm backend against the pure-JS cpu backend, bit for bit: ResNet's stem pool after ReLU
// (many all-zero windows, so ties), quantised inputs (ties everywhere), 2x2/2 valid, tfjs 'same' padding, and windows
// holding -Infinity/NaN. The tie rule (first maximum in row-major window order) must match exactly.
import * as tf from '@tensorflow/tfjs'
import { describe, expect } from 'vitest'
import { useBackend } from '../../../../src-main/ml/backend'
import { itNative, rand } from './conv-cases'

interface PoolCase { name: string; shape: [number, number, number, number]; k: number; stride: number; pad: 'same' | 'valid' | number; values: (v: Float32Array) => Float32Array }

const relu = (v: Float32Array): Float32Array => v.map((a) => Math.max(a, 0))
const cases: PoolCase[] = [
  { name: 'resnet stem 3x3/2 pad 1 after ReLU (all-zero windows tie)', shape: [2, 16, 16, 64], k: 3, stride: 2, pad: 1, values: relu },
  { name: 'ties everywhere: values in {0, 0.5, 1}, odd size', shape: [2, 9, 9, 8], k: 3, stride: 2, pad: 1, values: (v) => v.map((a) => Math.round(a + 1) / 2) },
  { name: '2x2/2 valid', shape: [2, 8, 8, 16], k: 2, stride: 2, pad: 'valid', values: (v) => v },
  { name: "tfjs 'same' padding, asymmetric", shape: [1, 10, 12, 5], k: 3, stride: 2, pad: 'same', values: (v) => v.map((a) => Math.round(4 * a) / 4) },
  { name: 'windows of -Infinity and NaN pass no gradient', shape: [1, 6, 6, 3], k: 3, stride: 2, pad: 1,
    values: (v) => v.map((a, i) => (i % 7 === 0 ? NaN : a < 0 ? -Infinity : a)) }
]

async function poolGrad(backend: 'cpu' | 'wasm', c: PoolCase): Promise<{ y: Float32Array; dx: Float32Array }> {
  await useBackend(backend)
  const n = c.shape.reduce((a, b) => a * b, 1)
  const x = tf.tensor4d(c.values(rand(n, 11)), c.shape)
  const pool = (t: tf.Tensor): tf.Tensor4D => tf.maxPool(t as tf.Tensor4D, c.k, c.stride, c.pad)
  const y = pool(x)
  const r = tf.tensor(rand(y.size, 12), y.shape)
  const dx = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(pool(t), r)))(x)
  const out = { y: (await y.data()) as Float32Array, dx: (await dx.data()) as Float32Array }
  tf.dispose([x, y, r, dx])
  return out
}

const bits = (a: Float32Array): Buffer => Buffer.from(a.buffer, a.byteOffset, a.byteLength)

describe('native MaxPoolGrad vs cpu backend', () => {
  for (const c of cases) {
    itNative(`${c.name}: ${c.shape.join('x')} k${c.k} s${c.stride}`, async () => {
      const ref = await poolGrad('cpu', c)
      const got = await poolGrad('wasm', c)
      expect(got.dx.length).toBe(ref.dx.length)
      // the forward stays tfjs-wasm's (XNNPACK); checked so the gradient's inputs agree, except with NaN: XNNPACK's max
      // treats NaN differently from the cpu backend (not this kernel's business; the gradient still matches)
      if (!c.name.includes('NaN')) expect(got.y).toEqual(ref.y)
      expect(bits(got.dx).equals(bits(ref.dx))).toBe(true)
    })
  }
})
