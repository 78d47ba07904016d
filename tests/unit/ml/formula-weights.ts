// TypeScript twin of scripts/reference/formula_weights.py: bit-identical deterministic tensors from (name, flat index).
import type { NamedTensor } from '../../../src-main/interop/safetensors'

function fnv1a32(name: string): number {
  let h = 0x811c9dc5
  for (const b of new TextEncoder().encode(name)) h = Math.imul(h ^ b, 0x01000193) >>> 0
  return h >>> 0
}

function fmix32(x: number): number {
  x ^= x >>> 16
  x = Math.imul(x, 0x85ebca6b) >>> 0
  x ^= x >>> 13
  x = Math.imul(x, 0xc2b2ae35) >>> 0
  x ^= x >>> 16
  return x >>> 0
}

function centerSpread(name: string, shape: number[]): [number, number] {
  const leaf = name.split('.').pop() as string
  const isNorm = name.split('.').some((p) => p.startsWith('bn') || p.startsWith('norm')) || name.includes('.downsample.1.')
  if (leaf === 'num_batches_tracked') return [0, 0]
  if (leaf === 'running_var') return [1, 0.5]
  if (leaf === 'running_mean' || leaf === 'bias') return [0, 0.1]
  if (leaf === 'weight' && isNorm) return [1, 0.2]
  if (name === 'cls_token' || name === 'pos_embed') return [0, 0.1]
  if (name === 'input' || name.startsWith('input.seed')) return [0, 1] // the parity inputs: uniform in [-1, 1)
  const fanIn = shape.length > 1 ? shape.slice(1).reduce((a, b) => a * b, 1) : 1
  return [0, Math.sqrt(6 / fanIn)]
}

/** The tensor `name` of torch-layout `shape`, exactly as formula_weights.formula_tensor produces it. */
export function formulaTensor(name: string, shape: number[]): NamedTensor {
  const n = shape.reduce((a, b) => a * b, 1)
  const [c, s] = centerSpread(name, shape)
  const h = fnv1a32(name)
  const data = new Float32Array(n)
  for (let i = 0; i < n; i++) {
    const u = fmix32((h ^ Math.imul(i, 0x9e3779b9)) >>> 0) / 4294967296
    data[i] = c + s * (2 * u - 1)
  }
  return { shape: [...shape], data }
}
