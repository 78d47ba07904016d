// The paired patient-level bootstrap over seeds (repeated CV) on synthetic out-of-fold predictions with known answers.
import { describe, expect, it } from 'vitest'
import { auc, type Predictions } from '../../../src-main/eval/metrics'
import { mulberry32, randNormal } from '../../../src-main/eval/rng'
import { pairedSeedsBootstrap } from '../../../src-main/eval/statistics'

const PATIENTS = 60
// two slides per patient; every 10th patient has one slide of each class (its class: the lower one, as in splits.ts)
const patientOf = Array.from({ length: 2 * PATIENTS }, (_, i) => `p${Math.floor(i / 2)}`)
const labels = patientOf.map((_, i) => (Math.floor(i / 2) % 10 === 0 ? i % 2 : Math.floor(i / 2) % 2))

function binary(p1: number[]): Predictions {
  const probs = new Float64Array(p1.length * 2)
  p1.forEach((p, i) => {
    probs[i * 2] = 1 - p
    probs[i * 2 + 1] = p
  })
  return { labels: Int32Array.from(labels), probs, classes: 2 }
}

/** One seed's predictions of a model whose scores separate the classes by `shift` noise sd. */
function seedRun(shift: number, seed: number): Predictions {
  const rng = mulberry32(seed)
  return binary(labels.map((l) => 1 / (1 + Math.exp(-(l * shift + randNormal(rng))))))
}

describe('pairedSeedsBootstrap', () => {
  it('detects a known difference: b separates the classes better than a in every seed', () => {
    const a = [1, 2, 3].map((s) => seedRun(0.5, s))
    const b = [1, 2, 3].map((s) => seedRun(2.5, 100 + s))
    const t = pairedSeedsBootstrap(a, b, patientOf, auc, { seed: 1, resamples: 500 })
    const perSeed = a.map((p, s) => auc(b[s] as Predictions) - auc(p))
    expect(t.diff).toBeCloseTo(perSeed.reduce((x, y) => x + y, 0) / 3, 12)
    expect(t.diff).toBeGreaterThan(0.2)
    expect(t.p_value).toBeLessThan(0.01)
    expect(t.ci![0]).toBeGreaterThan(0)
    expect(t.ci![0]).toBeLessThan(t.diff)
    expect(t.ci![1]).toBeGreaterThan(t.diff)
    expect(t.method).toMatch(/patient-level bootstrap over seeds/)
  })

  it('gives a large p and a CI around 0 when both models have the same separation (independent noise)', () => {
    const a = [1, 2, 3].map((s) => seedRun(1, s))
    const b = [1, 2, 3].map((s) => seedRun(1, 200 + s))
    const t = pairedSeedsBootstrap(a, b, patientOf, auc, { seed: 2, resamples: 500 })
    expect(Math.abs(t.diff)).toBeLessThan(0.1)
    expect(t.p_value).toBeGreaterThan(0.2)
    expect(t.ci![0]).toBeLessThan(0)
    expect(t.ci![1]).toBeGreaterThan(0)
  })

  it('gives difference 0, p = 1 and a zero CI for identical models', () => {
    const runs = [4, 5].map((s) => seedRun(1, s))
    expect(pairedSeedsBootstrap(runs, runs, patientOf, auc, { seed: 3, resamples: 200 })).toMatchObject({ diff: 0, p_value: 1, ci: [0, 0] })
  })

  it('redraws whole patients within their class and applies one resample to every seed and both models', () => {
    // scores carry the slide index, so the statistic can see which slides each call was given
    const ids = binary(labels.map((_, i) => i / 1000))
    const calls: number[][] = []
    const record = (p: Predictions): number => {
      calls.push(Array.from({ length: p.labels.length }, (_, k) => Math.round((p.probs[k * 2 + 1] as number) * 1000)).sort((x, y) => x - y))
      return 0
    }
    const seeds = 3
    pairedSeedsBootstrap(Array(seeds).fill(ids), Array(seeds).fill(ids), patientOf, record, { seed: 4, resamples: 40 })
    const replicates = calls.slice(0, 40 * 2 * seeds)
    expect(replicates).toHaveLength(240)
    const classOfPatient = (p: number): number => (p % 10 === 0 ? 0 : p % 2)
    for (let r = 0; r < 40; r++) {
      const group = replicates.slice(r * 2 * seeds, (r + 1) * 2 * seeds)
      for (const c of group) expect(c).toEqual(group[0])
      const drawn = group[0]!
      // both slides of a patient come together, so each patient's two slides are drawn equally often
      const count = new Map<number, number>()
      for (const i of drawn) count.set(i, (count.get(i) ?? 0) + 1)
      for (const [i, n] of count) expect(count.get(i ^ 1)).toBe(n)
      // stratified by patient class: the number of class-1 patients drawn never changes
      const class1 = drawn.filter((i) => i % 2 === 0 && classOfPatient(i / 2) === 1).length
      expect(class1).toBe(Array.from({ length: PATIENTS }, (_, p) => classOfPatient(p)).filter((c) => c === 1).length)
    }
  })

  it('refuses runs of different slides or seed counts', () => {
    const run = seedRun(1, 1)
    expect(() => pairedSeedsBootstrap([run, run], [run], patientOf, auc, { seed: 1 })).toThrow(/same number/)
    expect(() => pairedSeedsBootstrap([run], [run], patientOf.slice(1), auc, { seed: 1 })).toThrow(/patient ids for 120 slides/)
  })
})
