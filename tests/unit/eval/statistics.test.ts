// Bootstrap CI against cases with a known answer; DeLong against a reference computed independently (numpy, below).
import { describe, expect, it } from 'vitest'
import { auc, type Predictions } from '../../../src-main/eval/metrics'
import { bootstrapCi, bootstrapFoldMeanCi, delongTest, normalCdf, pairedBootstrap, pairedFoldMeanBootstrap } from '../../../src-main/eval/statistics'

function binary(labels: number[], p1: number[]): Predictions {
  const probs = new Float64Array(labels.length * 2)
  p1.forEach((p, i) => {
    probs[i * 2] = 1 - p
    probs[i * 2 + 1] = p
  })
  return { labels: Int32Array.from(labels), probs, classes: 2 }
}

/** Fraction of slides predicted as class 1 (a plain proportion: its bootstrap CI has a textbook answer). */
const predictedPositiveRate = (p: Predictions): number => {
  let k = 0
  for (let i = 0; i < p.labels.length; i++) if ((p.probs[i * 2 + 1] as number) > 0.5) k++
  return k / p.labels.length
}

describe('bootstrapCi', () => {
  it('gives a zero-width interval at 1 for a perfectly separated AUC', () => {
    const p = binary([1, 1, 1, 0, 0, 0], [0.9, 0.8, 0.7, 0.3, 0.2, 0.1])
    const ci = bootstrapCi(p, auc, { seed: 1, resamples: 200 })
    expect([ci.lo, ci.hi]).toEqual([1, 1])
  })
  it('matches the normal-approximation CI of a proportion (p = 0.3 within each class, n = 800)', () => {
    // Each class: 400 slides, 120 predicted positive. The class-stratified bootstrap of the overall rate has
    // sd = sqrt(2 · 400 · 0.3 · 0.7) / 800 = 0.01620; 95% CI ≈ 0.3 ± 1.96 · 0.01620 = [0.2682, 0.3318].
    const labels: number[] = []
    const scores: number[] = []
    for (const cls of [0, 1]) for (let i = 0; i < 400; i++) {
      labels.push(cls)
      scores.push(i < 120 ? 0.9 : 0.1)
    }
    const ci = bootstrapCi(binary(labels, scores), predictedPositiveRate, { seed: 7, resamples: 2000 })
    expect(ci.estimate).toBeCloseTo(0.3, 12)
    expect(ci.lo).toBeCloseTo(0.2682, 2)
    expect(ci.hi).toBeCloseTo(0.3318, 2)
    expect(Math.abs(ci.lo - 0.2682)).toBeLessThan(0.004)
    expect(Math.abs(ci.hi - 0.3318)).toBeLessThan(0.004)
  })
  it('fold-mean CI: estimate = mean of the fold AUCs; zero width when every fold is perfectly separated', () => {
    // fold 0 perfect (AUC 1), fold 1 inverted (AUC 0) → mean 0.5; resampling inside folds cannot change either
    const p = binary([1, 0, 1, 0, 1, 0, 1, 0], [0.9, 0.1, 0.8, 0.2, 0.1, 0.9, 0.2, 0.8])
    const ci = bootstrapFoldMeanCi(p, [0, 0, 0, 0, 1, 1, 1, 1], auc, { seed: 2, resamples: 200 })
    expect([ci.estimate, ci.lo, ci.hi]).toEqual([0.5, 0.5, 0.5])
    // a fold with one class only has no AUC and is left out of the mean
    const q = binary([1, 0, 1, 0, 1, 1], [0.9, 0.1, 0.8, 0.2, 0.5, 0.6])
    expect(bootstrapFoldMeanCi(q, [0, 0, 0, 0, 1, 1], auc, { seed: 2, resamples: 50 }).estimate).toBe(1)
  })
  it('is reproducible with the same seed and differs with another', () => {
    const p = binary([1, 0, 1, 0, 1, 0, 1, 0], [0.6, 0.4, 0.7, 0.65, 0.3, 0.2, 0.8, 0.5])
    const a = bootstrapCi(p, auc, { seed: 3, resamples: 300 })
    const b = bootstrapCi(p, auc, { seed: 3, resamples: 300 })
    const c = bootstrapCi(p, auc, { seed: 4, resamples: 300 })
    expect(a).toEqual(b)
    expect([a.lo, a.hi]).not.toEqual([c.lo, c.hi])
  })
})

describe('DeLong', () => {
  // Reference: brute-force DeLong (1988) in numpy, independent of this implementation:
  //   psi = (P[:,None] > N[None,:]) + 0.5 * (P[:,None] == N[None,:]); V10 = psi.mean(1); V01 = psi.mean(0)
  //   S10 = np.cov([V10a, V10b]); S01 = np.cov([V01a, V01b]); L = [-1, 1]
  //   var = L S10 Lᵀ / m + L S01 Lᵀ / n; z = (B − A)/sqrt(var); p = math.erfc(|z|/sqrt(2))
  // gave A = 0.7767857142857143, B = 0.8928571428571429, var = 0.01968309645286686, p = 0.40805020986539153.
  const y = [1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0]
  const a = [0.9, 0.8, 0.7, 0.6, 0.55, 0.4, 0.6, 0.3, 0.2, 0.5, 0.1, 0.45, 0.7, 0.35, 0.35]
  const b = [0.85, 0.9, 0.5, 0.65, 0.3, 0.6, 0.4, 0.35, 0.25, 0.55, 0.2, 0.3, 0.5, 0.7, 0.1]
  it('matches the numpy reference (AUCs, difference, p-value)', () => {
    const r = delongTest(a, b, y.map((v) => v === 1))
    expect(r.a_estimate).toBeCloseTo(0.7767857142857143, 12)
    expect(r.b_estimate).toBeCloseTo(0.8928571428571429, 12)
    expect(r.diff).toBeCloseTo(0.1160714285714286, 12)
    expect(r.p_value).toBeCloseTo(0.40805020986539153, 5)
    expect(r.method).toBe('DeLong')
  })
  it('gives p = 1 for identical models and the normal CDF is accurate', () => {
    expect(delongTest(a, a, y.map((v) => v === 1)).p_value).toBe(1)
    expect(normalCdf(1.959963984540054)).toBeCloseTo(0.975, 6)
    expect(normalCdf(0)).toBeCloseTo(0.5, 7)
  })
  it('paired fold-mean bootstrap: identical models → Δ 0, p = 1; separated folds → the exact fold-mean difference', () => {
    const pa = binary(y, a)
    const folds = y.map((_, i) => i % 3)
    const same = pairedFoldMeanBootstrap(pa, pa, folds, auc, { seed: 1, resamples: 200 })
    expect([same.diff, same.p_value]).toEqual([0, 1])
    // b perfect in every fold, a inverted in every fold → fold means 1 and 0, every resample gives Δ = 1
    const labels = [1, 0, 1, 0, 1, 0, 1, 0]
    const good = binary(labels, [0.9, 0.1, 0.8, 0.2, 0.7, 0.3, 0.6, 0.4])
    const bad = binary(labels, [0.1, 0.9, 0.2, 0.8, 0.3, 0.7, 0.4, 0.6])
    const r = pairedFoldMeanBootstrap(bad, good, [0, 0, 0, 0, 1, 1, 1, 1], auc, { seed: 1, resamples: 200 })
    expect(r.diff).toBe(1)
    expect(r.ci).toEqual([1, 1])
    expect(r.p_value).toBeCloseTo(2 / 201, 12)
  })
  it('paired bootstrap agrees in direction and is seeded', () => {
    const pa = binary(y, a)
    const pb = binary(y, b)
    const r1 = pairedBootstrap(pa, pb, auc, { seed: 11, resamples: 500 })
    const r2 = pairedBootstrap(pa, pb, auc, { seed: 11, resamples: 500 })
    expect(r1).toEqual(r2)
    expect(r1.diff).toBeCloseTo(0.1160714285714286, 12)
    expect(r1.p_value).toBeGreaterThan(0.05)
    expect(r1.p_value).toBeLessThanOrEqual(1)
  })
})
