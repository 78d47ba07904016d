// Named trainable/state tensors with seeded initialisation (independent of tf's RNG, so init is reproducible per seed).
import * as tf from '@tensorflow/tfjs'
import type { Rng } from './rng'

export interface NamedParam {
  /** stable name used in checkpoints and exported weights */
  name: string
  variable: tf.Variable
  /** AdamW applies weight decay only to matrices/kernels (rank ≥ 2), never to biases, norms, embeddings flagged off */
  decay: boolean
}

export function normalParam(name: string, shape: number[], std: number, rng: Rng, trainable = true, decay = shape.length >= 2): NamedParam {
  const n = shape.reduce((a, b) => a * b, 1)
  const data = new Float32Array(n)
  for (let i = 0; i < n; i++) data[i] = rng.normal() * std
  return { name, variable: tf.variable(tf.tensor(data, shape, 'float32'), trainable), decay }
}

export function constParam(name: string, shape: number[], value: number, trainable = true): NamedParam {
  return { name, variable: tf.variable(tf.fill(shape, value, 'float32'), trainable), decay: false }
}

export interface TensorBlob {
  shape: number[]
  data: Float32Array
}

/** Values of `params`, read asynchronously (all reads issued at once: webgpu batches them; no pipeline stall). */
export async function readParams(params: readonly NamedParam[]): Promise<Record<string, TensorBlob>> {
  const data = await Promise.all(params.map((p) => p.variable.data() as Promise<Float32Array>))
  const out: Record<string, TensorBlob> = {}
  params.forEach((p, i) => { out[p.name] = { shape: [...p.variable.shape], data: data[i] as Float32Array } })
  return out
}

/** Assign saved values; a missing name or a shape mismatch is an error naming the tensor. */
export function writeParams(params: readonly NamedParam[], saved: Record<string, TensorBlob>, where: string): void {
  for (const p of params) {
    const s = saved[p.name]
    if (!s) throw new Error(`${where}: tensor "${p.name}" missing`)
    if (s.shape.join('x') !== p.variable.shape.join('x')) {
      throw new Error(`${where}: tensor "${p.name}" has shape ${s.shape.join('×')}, expected ${p.variable.shape.join('×')}`)
    }
    p.variable.assign(tf.tensor(s.data, s.shape, 'float32'))
  }
}

export function disposeParams(params: readonly NamedParam[]): void {
  for (const p of params) p.variable.dispose()
}
