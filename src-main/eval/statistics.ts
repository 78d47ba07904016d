// Uncertainty of metrics: stratified bootstrap CIs, paired bootstrap and DeLong tests for two models on the same slides.
import { column, subset, type Predictions } from './metrics'
import { mulberry32, randInt } from './rng'
import { majorityClass } from './splits'

/** Standard normal CDF via erfc (W. J. Cody-style rational approximation, |error| < 1.2e-7 — Numerical Recipes erfcc). */
export function normalCdf(z: number): number {
  return 1 - 0.5 * erfc(z / Math.SQRT2)
}

export function erfc(x: number): number {
  const z = Math.abs(x)
  const t = 1 / (1 + 0.5 * z)
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))))
    )
  return x >= 0 ? r : 2 - r
}

/** Linear-interpolated quantile (type 7, as numpy's default) of a sorted array. */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length
  if (n === 0) return NaN
  const h = (n - 1) * q
  const lo = Math.floor(h)
  const hi = Math.min(n - 1, lo + 1)
  return (sorted[lo] as number) + (h - lo) * ((sorted[hi] as number) - (sorted[lo] as number))
}

/**
 * Indices of a stratified bootstrap resample: slides are redrawn with replacement inside each class, so every
 * resample keeps the class counts (AUC stays defined). Cost: O(n) per resample.
 */
function stratifiedResample(byClass: number[][], rng: () => number): Int32Array {
  const total = byClass.reduce((a, g) => a + g.length, 0)
  const out = new Int32Array(total)
  let k = 0
  for (const group of byClass) for (let i = 0; i < group.length; i++) out[k++] = group[randInt(rng, group.length)] as number
  return out
}

function groupByClass(labels: Int32Array, classes: number): number[][] {
  const groups = Array.from({ length: classes }, () => [] as number[])
  labels.forEach((l, i) => (groups[l] as number[]).push(i))
  return groups.filter((g) => g.length > 0)
}

export interface BootstrapCi {
  estimate: number
  lo: number
  hi: number
  level: number
  resamples: number
  method: 'percentile, class-stratified bootstrap'
}

/** Percentile bootstrap CI of `stat` over slides (seeded, class-stratified). Non-finite resample values are dropped. */
export function bootstrapCi(
  p: Predictions,
  stat: (p: Predictions) => number,
  options: { resamples?: number; level?: number; seed: number }
): BootstrapCi {
  const resamples = options.resamples ?? 2000
  const level = options.level ?? 0.95
  const rng = mulberry32(options.seed)
  const groups = groupByClass(p.labels, p.classes)
  const values: number[] = []
  for (let b = 0; b < resamples; b++) {
    const v = stat(subset(p, stratifiedResample(groups, rng)))
    if (Number.isFinite(v)) values.push(v)
  }
  values.sort((a, b) => a - b)
  const alpha = (1 - level) / 2
  return { estimate: stat(p), lo: quantileSorted(values, alpha), hi: quantileSorted(values, 1 - alpha), level, resamples, method: 'percentile, class-stratified bootstrap' }
}

interface FoldCell {
  /** slide indices of the fold */
  idx: number[]
  /** positions inside idx, grouped by class (resampling stays inside each fold × class cell) */
  groups: number[][]
}

function foldCells(p: Predictions, foldOf: readonly number[]): FoldCell[] {
  const folds = [...new Set(foldOf)].sort((x, y) => x - y)
  return folds.map((f) => {
    const idx = foldOf.flatMap((g, i) => (g === f ? [i] : []))
    return { idx, groups: groupByClass(subset(p, idx).labels, p.classes) }
  })
}

/** One stratified resample of every fold, as indices into the full prediction set. */
function resampleCells(cells: readonly FoldCell[], rng: () => number): number[][] {
  return cells.map((cell) => Array.from(stratifiedResample(cell.groups, rng), (k) => cell.idx[k] as number))
}

/** Mean of stat over the picked subsets where it is defined (NaN when it is defined on none). */
function meanOfFinite(p: Predictions, picks: readonly ArrayLike<number>[], stat: (p: Predictions) => number): number {
  let sum = 0
  let used = 0
  for (const pick of picks) {
    const v = stat(subset(p, pick))
    if (Number.isFinite(v)) {
      sum += v
      used++
    }
  }
  return used === 0 ? NaN : sum / used
}

/**
 * Bootstrap CI of the MEAN over folds of a per-fold statistic (e.g. the fold-averaged AUC reported as auc_mean).
 * Each resample redraws slides inside every fold × class cell, recomputes the statistic per fold and averages the
 * folds where it is defined. `foldOf[i]` is the test fold of slide i. Cost: resamples × folds statistic evaluations.
 */
export function bootstrapFoldMeanCi(
  p: Predictions,
  foldOf: readonly number[],
  stat: (p: Predictions) => number,
  options: { resamples?: number; level?: number; seed: number }
): BootstrapCi {
  const resamples = options.resamples ?? 2000
  const level = options.level ?? 0.95
  const rng = mulberry32(options.seed)
  const cells = foldCells(p, foldOf)
  const values: number[] = []
  for (let b = 0; b < resamples; b++) {
    const v = meanOfFinite(p, resampleCells(cells, rng), stat)
    if (Number.isFinite(v)) values.push(v)
  }
  values.sort((a, b) => a - b)
  const alpha = (1 - level) / 2
  return { estimate: meanOfFinite(p, cells.map((c) => c.idx), stat), lo: quantileSorted(values, alpha), hi: quantileSorted(values, 1 - alpha), level, resamples, method: 'percentile, class-stratified bootstrap' }
}

export interface PairedTest {
  a_estimate: number
  b_estimate: number
  diff: number
  p_value: number
  method: string
  ci?: [number, number]
}

/**
 * Paired bootstrap of stat(b) − stat(a): both models are scored on the SAME resampled slides each round.
 * Two-sided p-value = 2 · min(P(diff ≤ 0), P(diff ≥ 0)) over resamples, capped at 1 (add-one smoothed so it is never 0).
 */
export function pairedBootstrap(
  a: Predictions,
  b: Predictions,
  stat: (p: Predictions) => number,
  options: { resamples?: number; seed: number }
): PairedTest {
  assertSameSlides(a, b)
  const resamples = options.resamples ?? 2000
  const rng = mulberry32(options.seed)
  const groups = groupByClass(a.labels, a.classes)
  const diffs: number[] = []
  for (let r = 0; r < resamples; r++) {
    const idx = stratifiedResample(groups, rng)
    const d = stat(subset(b, idx)) - stat(subset(a, idx))
    if (Number.isFinite(d)) diffs.push(d)
  }
  const ea = stat(a)
  const eb = stat(b)
  return { a_estimate: ea, b_estimate: eb, diff: eb - ea, ...pairedSummary(diffs), method: 'paired bootstrap (class-stratified)' }
}

/**
 * Two-sided p-value and 95% percentile CI of bootstrap differences (sorts `diffs` in place):
 * p = 2 · min(#(d ≤ 0), #(d ≥ 0)) + 1 smoothed, over the finite replicates, capped at 1.
 */
function pairedSummary(diffs: number[]): { p_value: number; ci: [number, number] } {
  diffs.sort((x, y) => x - y)
  const le = diffs.filter((d) => d <= 0).length
  const ge = diffs.filter((d) => d >= 0).length
  return { p_value: Math.min(1, (2 * (Math.min(le, ge) + 1)) / (diffs.length + 1)), ci: [quantileSorted(diffs, 0.025), quantileSorted(diffs, 0.975)] }
}

/**
 * Paired bootstrap of the fold-mean difference mean_f stat(b) − mean_f stat(a): each round redraws slides inside
 * every fold × class cell, identically for both models. p-value as in pairedBootstrap.
 */
export function pairedFoldMeanBootstrap(
  a: Predictions,
  b: Predictions,
  foldOf: readonly number[],
  stat: (p: Predictions) => number,
  options: { resamples?: number; seed: number }
): PairedTest {
  assertSameSlides(a, b)
  const resamples = options.resamples ?? 2000
  const rng = mulberry32(options.seed)
  const cells = foldCells(a, foldOf)
  const diffs: number[] = []
  for (let r = 0; r < resamples; r++) {
    const picks = resampleCells(cells, rng)
    const d = meanOfFinite(b, picks, stat) - meanOfFinite(a, picks, stat)
    if (Number.isFinite(d)) diffs.push(d)
  }
  const ea = meanOfFinite(a, cells.map((c) => c.idx), stat)
  const eb = meanOfFinite(b, cells.map((c) => c.idx), stat)
  return { a_estimate: ea, b_estimate: eb, diff: eb - ea, ...pairedSummary(diffs), method: 'paired bootstrap of fold means (class-stratified within folds)' }
}

export const seedsBootstrapMethod =
  'paired patient-level bootstrap over seeds (patients redrawn within class; one resample applied to every seed; mean over seeds of the pooled difference)'

/**
 * Paired bootstrap over repeated cross-validation (one CV run per split seed) of mean_s [stat(b_s) − stat(a_s)].
 * Each replicate redraws PATIENTS with replacement inside each patient class (its most frequent slide label, as the
 * splits use), takes every slide of each drawn patient, and applies that ONE resample to every seed's out-of-fold
 * predictions, so the seeds stay paired with each other as well as the two models. a[s], b[s]: seed s's predictions
 * of the same slides in one order; patientOf[i]: patient of slide i. p-value and CI as in pairedBootstrap; a
 * replicate where the statistic is undefined for some seed is dropped. Cost: resamples × seeds × 2 statistics.
 */
export function pairedSeedsBootstrap(
  a: readonly Predictions[],
  b: readonly Predictions[],
  patientOf: readonly string[],
  stat: (p: Predictions) => number,
  options: { resamples?: number; seed: number }
): PairedTest {
  const first = a[0]
  if (!first || a.length !== b.length) throw new Error(`over-seeds comparison needs the same number (≥ 1) of seed runs for both models (have ${a.length} and ${b.length})`)
  a.forEach((p, s) => {
    assertSameSlides(first, p)
    assertSameSlides(p, b[s] as Predictions)
  })
  if (patientOf.length !== first.labels.length) throw new Error(`over-seeds comparison: ${patientOf.length} patient ids for ${first.labels.length} slides`)
  const slidesOf = new Map<string, number[]>()
  patientOf.forEach((id, i) => slidesOf.set(id, [...(slidesOf.get(id) ?? []), i]))
  const members = [...slidesOf.values()]
  const groups = groupByClass(Int32Array.from(members, (idx) => majorityClass(idx.map((i) => first.labels[i] as number))), first.classes)
  const meanOver = (f: (s: number) => number): number => a.reduce((sum, _, s) => sum + f(s), 0) / a.length
  const resamples = options.resamples ?? 2000
  const rng = mulberry32(options.seed)
  const diffs: number[] = []
  for (let r = 0; r < resamples; r++) {
    const idx = Array.from(stratifiedResample(groups, rng)).flatMap((k) => members[k] as number[])
    const d = meanOver((s) => stat(subset(b[s] as Predictions, idx)) - stat(subset(a[s] as Predictions, idx)))
    if (Number.isFinite(d)) diffs.push(d)
  }
  const ea = meanOver((s) => stat(a[s] as Predictions))
  const eb = meanOver((s) => stat(b[s] as Predictions))
  return { a_estimate: ea, b_estimate: eb, diff: meanOver((s) => stat(b[s] as Predictions) - stat(a[s] as Predictions)), ...pairedSummary(diffs), method: seedsBootstrapMethod }
}

function assertSameSlides(a: Predictions, b: Predictions): void {
  if (a.labels.length !== b.labels.length || a.classes !== b.classes) throw new Error('paired comparison needs predictions for the same slides and classes')
  for (let i = 0; i < a.labels.length; i++) if (a.labels[i] !== b.labels[i]) throw new Error(`paired comparison: label of slide #${i} differs between the two prediction sets`)
}

/**
 * DeLong, DeLong & Clarke-Pearson (1988) test of two correlated binary AUCs on the same slides.
 * Structural components V10 (per positive) and V01 (per negative) computed with ψ(x, y) = 1 if x > y, ½ if tied;
 * Var(AUC_b − AUC_a) = (S10_aa + S10_bb − 2 S10_ab)/m + (S01_aa + S01_bb − 2 S01_ab)/n; z-test, two-sided.
 * Cost O(m·n) per model — fine for cohorts of a few thousand slides.
 */
export function delongTest(scoresA: ArrayLike<number>, scoresB: ArrayLike<number>, positive: ArrayLike<boolean>): PairedTest {
  const pos: number[] = []
  const neg: number[] = []
  for (let i = 0; i < positive.length; i++) (positive[i] ? pos : neg).push(i)
  const m = pos.length
  const n = neg.length
  if (m < 2 || n < 2) throw new Error(`DeLong test needs at least 2 positive and 2 negative slides (have ${m} and ${n})`)
  const components = (s: ArrayLike<number>): { v10: Float64Array; v01: Float64Array; auc: number } => {
    const v10 = new Float64Array(m)
    const v01 = new Float64Array(n)
    for (let i = 0; i < m; i++) {
      const x = s[pos[i] as number] as number
      for (let j = 0; j < n; j++) {
        const y = s[neg[j] as number] as number
        const psi = x > y ? 1 : x === y ? 0.5 : 0
        v10[i] = (v10[i] as number) + psi
        v01[j] = (v01[j] as number) + psi
      }
    }
    let total = 0
    for (let i = 0; i < m; i++) {
      total += v10[i] as number
      v10[i] = (v10[i] as number) / n
    }
    for (let j = 0; j < n; j++) v01[j] = (v01[j] as number) / m
    return { v10, v01, auc: total / (m * n) }
  }
  const ca = components(scoresA)
  const cb = components(scoresB)
  const cov = (x: Float64Array, y: Float64Array, mx: number, my: number): number => {
    let s = 0
    for (let i = 0; i < x.length; i++) s += ((x[i] as number) - mx) * ((y[i] as number) - my)
    return s / (x.length - 1)
  }
  const s10 = cov(ca.v10, ca.v10, ca.auc, ca.auc) + cov(cb.v10, cb.v10, cb.auc, cb.auc) - 2 * cov(ca.v10, cb.v10, ca.auc, cb.auc)
  const s01 = cov(ca.v01, ca.v01, ca.auc, ca.auc) + cov(cb.v01, cb.v01, cb.auc, cb.auc) - 2 * cov(ca.v01, cb.v01, ca.auc, cb.auc)
  const variance = s10 / m + s01 / n
  const diff = cb.auc - ca.auc
  let pValue: number
  if (variance <= 1e-300) pValue = diff === 0 ? 1 : 0
  else pValue = 2 * (1 - normalCdf(Math.abs(diff) / Math.sqrt(variance)))
  const half = 1.959963984540054 * Math.sqrt(Math.max(variance, 0))
  return { a_estimate: ca.auc, b_estimate: cb.auc, diff, p_value: Math.min(1, pValue), method: 'DeLong', ci: [diff - half, diff + half] }
}

/** The AUC comparison used in reports: DeLong for binary tasks, paired bootstrap on macro AUC otherwise. */
export function compareAuc(a: Predictions, b: Predictions, stat: (p: Predictions) => number, seed: number): PairedTest {
  assertSameSlides(a, b)
  if (a.classes === 2) {
    const positive = Array.from(a.labels, (l) => l === 1)
    const pos = positive.filter(Boolean).length
    if (pos >= 2 && positive.length - pos >= 2) return delongTest(column(a, 1), column(b, 1), positive)
  }
  return pairedBootstrap(a, b, stat, { seed })
}

