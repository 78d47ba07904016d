// Classification metrics for slide-level predictions: AUC (Mann–Whitney, ties = 0.5; one-vs-rest macro), balanced accuracy, F1, ROC.
import type { RocPoint } from '../../src-shared/contracts/eval'

/** Predictions for n slides over k classes: probs is n×k row-major, labels are class indices 0..k-1. */
export interface Predictions {
  labels: Int32Array
  probs: Float64Array
  classes: number
}

/**
 * Binary AUC via the Mann–Whitney U statistic with mid-ranks, so a tied positive/negative pair counts 0.5.
 * O(n log n). Returns NaN when one of the two groups is empty (AUC undefined).
 */
export function aucBinary(scores: ArrayLike<number>, positive: ArrayLike<boolean>): number {
  const n = scores.length
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => (scores[a] as number) - (scores[b] as number))
  let rankSumPos = 0
  let nPos = 0
  let i = 0
  while (i < n) {
    let j = i
    while (j + 1 < n && scores[order[j + 1] as number] === scores[order[i] as number]) j++
    const midRank = (i + j) / 2 + 1
    for (let t = i; t <= j; t++) {
      if (positive[order[t] as number]) {
        rankSumPos += midRank
        nPos++
      }
    }
    i = j + 1
  }
  const nNeg = n - nPos
  if (nPos === 0 || nNeg === 0) return NaN
  return (rankSumPos - (nPos * (nPos + 1)) / 2) / (nPos * nNeg)
}

/** Probability column `c` of a prediction set. */
export function column(p: Predictions, c: number): Float64Array {
  const n = p.labels.length
  const out = new Float64Array(n)
  for (let i = 0; i < n; i++) out[i] = p.probs[i * p.classes + c] as number
  return out
}

/**
 * AUC: binary = AUC of P(class 1); multi-class = unweighted mean of one-vs-rest AUCs over the classes
 * present with both positives and negatives (classes absent from the sample are skipped, as sklearn's macro OvR
 * would fail on them).
 */
export function auc(p: Predictions): number {
  const isClass = (c: number): boolean[] => Array.from(p.labels, (l) => l === c)
  if (p.classes === 2) return aucBinary(column(p, 1), isClass(1))
  let sum = 0
  let used = 0
  for (let c = 0; c < p.classes; c++) {
    const a = aucBinary(column(p, c), isClass(c))
    if (Number.isFinite(a)) {
      sum += a
      used++
    }
  }
  return used === 0 ? NaN : sum / used
}

/** Predicted class per slide: arg-max of the probabilities (lowest index wins ties). */
export function predictedClasses(p: Predictions): Int32Array {
  const n = p.labels.length
  const out = new Int32Array(n)
  for (let i = 0; i < n; i++) {
    let best = 0
    for (let c = 1; c < p.classes; c++) if ((p.probs[i * p.classes + c] as number) > (p.probs[i * p.classes + best] as number)) best = c
    out[i] = best
  }
  return out
}

/** k×k confusion matrix, rows = true class, columns = predicted class. */
export function confusion(p: Predictions): number[][] {
  const m = Array.from({ length: p.classes }, () => new Array<number>(p.classes).fill(0))
  const pred = predictedClasses(p)
  for (let i = 0; i < p.labels.length; i++) (m[p.labels[i] as number] as number[])[pred[i] as number]! += 1
  return m
}

/** Mean per-class recall over the classes present in the sample. */
export function balancedAccuracy(p: Predictions): number {
  const m = confusion(p)
  let sum = 0
  let used = 0
  for (let c = 0; c < p.classes; c++) {
    const row = m[c] as number[]
    const total = row.reduce((a, b) => a + b, 0)
    if (total === 0) continue
    sum += (row[c] as number) / total
    used++
  }
  return used === 0 ? NaN : sum / used
}

/** F1: binary = F1 of class 1; multi-class = macro F1 over the classes present (true or predicted). 0 when precision+recall is 0. */
export function f1(p: Predictions): number {
  const m = confusion(p)
  const f1Of = (c: number): number | null => {
    const tp = (m[c] as number[])[c] as number
    const actual = (m[c] as number[]).reduce((a, b) => a + b, 0)
    const predicted = m.reduce((a, row) => a + (row[c] as number), 0)
    if (actual === 0 && predicted === 0) return null
    return (2 * tp) / (actual + predicted)
  }
  if (p.classes === 2) return f1Of(1) ?? NaN
  let sum = 0
  let used = 0
  for (let c = 0; c < p.classes; c++) {
    const v = f1Of(c)
    if (v === null) continue
    sum += v
    used++
  }
  return used === 0 ? NaN : sum / used
}

export type { RocPoint } from '../../src-shared/contracts/eval'

/** ROC curve of a binary score (one point per distinct threshold, from (0,0) to (1,1)). */
export function rocCurve(scores: ArrayLike<number>, positive: ArrayLike<boolean>): RocPoint[] {
  const n = scores.length
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => (scores[b] as number) - (scores[a] as number))
  let nPos = 0
  for (let i = 0; i < n; i++) if (positive[i]) nPos++
  const nNeg = n - nPos
  const points: RocPoint[] = [{ fpr: 0, tpr: 0 }]
  if (nPos === 0 || nNeg === 0) return points
  let tp = 0
  let fp = 0
  for (let i = 0; i < n; i++) {
    const idx = order[i] as number
    if (positive[idx]) tp++
    else fp++
    const next = order[i + 1]
    if (next === undefined || scores[next] !== scores[idx]) points.push({ fpr: fp / nNeg, tpr: tp / nPos })
  }
  return points
}

/** Select a subset of slides (by index) from a prediction set. */
export function subset(p: Predictions, indices: ArrayLike<number>): Predictions {
  const n = indices.length
  const labels = new Int32Array(n)
  const probs = new Float64Array(n * p.classes)
  for (let i = 0; i < n; i++) {
    const src = indices[i] as number
    labels[i] = p.labels[src] as number
    for (let c = 0; c < p.classes; c++) probs[i * p.classes + c] = p.probs[src * p.classes + c] as number
  }
  return { labels, probs, classes: p.classes }
}

/** The standard summary of one prediction set. */
export function summarize(p: Predictions): { auc: number; balanced_accuracy: number; f1: number; n: number } {
  return { auc: auc(p), balanced_accuracy: balancedAccuracy(p), f1: f1(p), n: p.labels.length }
}
