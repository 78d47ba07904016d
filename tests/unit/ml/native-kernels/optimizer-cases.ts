// Shared helpers of the fused optimizer kernel tests: parameters of odd sizes (one past the native kernels' threading
// threshold), gradients spanning 40 orders of magnitude (so v underflows to subnormals and rounding order shows), and a
// switch that runs the optimizer with a fused kernel unregistered (its op-by-op path) on the same wasm backend.
import * as tf from '@tensorflow/tfjs'
import type { NamedParam } from '../../../../src-main/ml/mcm/params'
import { rand } from './conv-cases'

export const paramShapes: { shape: number[]; decay: boolean }[] = [
  { shape: [3, 3, 5, 7], decay: true },
  { shape: [13], decay: false },
  { shape: [1], decay: false },
  { shape: [17, 31], decay: true },
  { shape: [3, 3, 64, 512], decay: true } // 294 912 elements: past 2^18, the kernels' 2-thread path
]

const sizeOf = (shape: number[]): number => shape.reduce((a, b) => a * b, 1)

/** rand() values times 10^e with e cycling over [-38, 2]: subnormal squares, huge ones, and everything between. */
export function wideValues(n: number, seed: number): Float32Array {
  const v = rand(n, seed)
  return v.map((a, i) => a * 10 ** (((i * 7 + seed) % 41) - 38))
}

let serial = 0
export function makeParams(): NamedParam[] {
  serial++
  return paramShapes.map((s, i) => ({
    name: `p${i}`,
    variable: tf.variable(tf.tensor(rand(sizeOf(s.shape), 100 + i), s.shape), true, `fused-optimizer-test-${serial}-${i}`),
    decay: s.decay
  }))
}

export function gradsFor(params: NamedParam[], step: number): tf.NamedTensorMap {
  return Object.fromEntries(params.map((p, i) => [p.variable.name, tf.tensor(wideValues(p.variable.size, 1000 * step + i), p.variable.shape)]))
}

/** Runs fn with `kernel` unregistered on wasm (so the optimizer takes its op-by-op path), then registers it again. */
export async function withoutKernel<T>(kernel: string, fn: () => Promise<T>): Promise<T> {
  const config = tf.getKernel(kernel, 'wasm')
  if (!config) throw new Error(`${kernel} is not registered on wasm`)
  tf.unregisterKernel(kernel, 'wasm')
  try {
    return await fn()
  } finally {
    tf.registerKernel(config)
  }
}

/** Names of the kernels fn runs. */
export async function kernelsOf(fn: () => void): Promise<Set<string>> {
  const info = await tf.profile(fn)
  return new Set(info.kernels.map((k) => k.name))
}

export const bits = (a: Float32Array): Buffer => Buffer.from(a.buffer, a.byteOffset, a.byteLength)
