// The kink-aware ResNet-18 train-step parity check (tests/fixtures/torch/parity_margin.json, torch_parity_margin.py):
// one step on the fixture's 2×3×64×64 formula input and the error of every stored tensor against torch float32/float64.
// Shared by tests/unit/ml/torch-parity-margin.test.ts and scripts/bn-parity.ts --margin (the per-path table).
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { formulaTrainStep, type FormulaStep } from './formula-train-step'

export interface MarginFixture {
  input: { name: string; shape_nchw: [number, number, number, number] }
  seed: number
  kink_robust_grads: string[]
  /** per gradient: the summed worst-case effect of flipping every near-kink element (absolute, stored values) */
  flip_bound: Record<string, number>
  features_f32: number[]; features_f64: number[]
  running_stats_f32: Record<string, number[]>; running_stats_f64: Record<string, number[]>
  grads_f32: Record<string, number[]>; grads_f64: Record<string, number[]>
}

export const marginFixture = JSON.parse(readFileSync(fileURLToPath(new URL('../../fixtures/torch/parity_margin.json', import.meta.url)), 'utf8')) as MarginFixture

/** max |a-b| / max |b|: the parity tests' metric */
export function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`)
  let d = 0, s = 1e-12
  for (let i = 0; i < b.length; i++) { d = Math.max(d, Math.abs((a[i] as number) - (b[i] as number))); s = Math.max(s, Math.abs(b[i] as number)) }
  return d / s
}

/** every step-th value from 0, step = ceil(n/limit) made odd (the fixture's sampling, torch_parity_margin.strided) */
function strided(data: Float32Array, limit: number): number[] {
  const even = Math.ceil(data.length / limit)
  const step = even + 1 - (even % 2)
  const out: number[] = []
  for (let i = 0; i < data.length; i += step) out.push(data[i] as number)
  return out
}

export type MarginStep = FormulaStep

/** One train-mode step on the fixture with the active backend and BatchNorm path; tensors sampled as stored. */
export function marginStep(fx: MarginFixture = marginFixture): MarginStep {
  return formulaTrainStep({ name: fx.input.name, shape: fx.input.shape_nchw }, Object.keys(fx.running_stats_f32), Object.keys(fx.grads_f32),
    (_name, data, shape) => strided(data, shape.length === 1 ? 64 : 128))
}

export interface MarginRow { name: string; vsF32: number; vsF64: number; torchF32: number; kind: 'continuous' | 'kink-robust' | 'gross' ; limit: number }

/** Every stored tensor's error; `limit` is what the test asserts on vsF64 (and vsF32 unless `gross`). */
export function marginRows(got: MarginStep, fx: MarginFixture = marginFixture): MarginRow[] {
  const rows: MarginRow[] = []
  const row = (name: string, a: number[], r32: number[], r64: number[], kind: MarginRow['kind'], limit: number): void => {
    rows.push({ name, vsF32: relErr(a, r32), vsF64: relErr(a, r64), torchF32: relErr(r32, r64), kind, limit })
  }
  row('features', got.feats, fx.features_f32, fx.features_f64, 'continuous', 1e-4)
  for (const k of Object.keys(fx.running_stats_f32)) row(k, got.stats[k] ?? [], fx.running_stats_f32[k] ?? [], fx.running_stats_f64[k] ?? [], 'continuous', 1e-4)
  const robust = new Set(fx.kink_robust_grads)
  for (const k of Object.keys(fx.grads_f64)) {
    const r64 = fx.grads_f64[k] ?? []
    const scale = Math.max(1e-12, ...r64.map(Math.abs))
    if (robust.has(k)) row(k, got.grads[k] ?? [], fx.grads_f32[k] ?? [], r64, 'kink-robust', 1e-4)
    else row(k, got.grads[k] ?? [], fx.grads_f32[k] ?? [], r64, 'gross', 1e-4 + (fx.flip_bound[k] ?? 0) / scale)
  }
  return rows
}
