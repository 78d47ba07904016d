// Held-out evaluation with fixed masks: masked-patch L1 of a model state, the "mean of the visible patches' teacher
// features" baseline, per-cell cosines for inspection, and per-slide error maps.
import * as tf from '@tensorflow/tfjs'
import type { ErrorMap, InspectedWindow, McmConfig } from '../../../src-shared/contracts/train'
import { buildBatch, type BatchInput } from './batch'
import type { McmDataSource } from './data-source'
import type { McmModels } from './models'
import { cosine, l1 } from './objective'
import { forwardBatch } from './step'
import type { McmTargets } from './targets'

export interface WindowScores {
  /** per cell: L1 and cosine of the prediction for masked cells (null for visible cells) */
  l1: (number | null)[]
  cos: (number | null)[]
}

export interface EvalResult {
  meanL1: number
  maskedPatches: number
  perWindow: WindowScores[]
}

/** Masked-patch L1 (mean over masked patches of mean |pred − target| over dims, in the run's target space). */
export async function evaluateModels(m: McmModels, source: McmDataSource, targetSet: McmTargets, items: readonly BatchInput[], cfg: McmConfig, signal?: AbortSignal): Promise<EvalResult> {
  const perWindow: WindowScores[] = []
  let sum = 0
  let count = 0
  const td = targetSet.space.dim
  for (let i = 0; i < items.length; i += cfg.batchWindows) {
    const chunk = items.slice(i, i + cfg.batchWindows)
    const b = await buildBatch(source, targetSet, chunk, cfg, m.student, signal)
    const pred = tf.tidy(() => forwardBatch(m, b, cfg, source.patchSize, td, { training: false, studentFrozen: true }).predictions)
    const values = (await pred.data()) as Float32Array
    pred.dispose()
    chunk.forEach((_it, w) => {
      const scores: WindowScores = { l1: [], cos: [] }
      for (let c = 0; c < b.tokens; c++) {
        const row = w * b.tokens + c
        if ((b.lossWeight[row] ?? 0) === 0) {
          scores.l1.push(null)
          scores.cos.push(null)
          continue
        }
        const p = values.subarray(row * td, (row + 1) * td)
        const t = b.targets.subarray(row * td, (row + 1) * td)
        const e = l1(p, t)
        scores.l1.push(e)
        scores.cos.push(cosine(p, t))
        sum += e
        count++
      }
      perWindow.push(scores)
    })
  }
  return { meanL1: count ? sum / count : NaN, maskedPatches: count, perWindow }
}

/** Trivial baseline: predict every masked patch as the mean of the window's visible patches' targets. */
export function visibleMeanBaseline(targetSet: McmTargets, items: readonly BatchInput[]): number {
  let sum = 0
  let count = 0
  for (const it of items) {
    const feats = it.window.cells.map((idx) => targetSet.target(it.window.slide, idx))
    const visible = feats.filter((_, c) => !it.mask[c])
    const mean = new Float32Array(targetSet.space.dim)
    for (const v of visible) for (let d = 0; d < mean.length; d++) mean[d] = (mean[d] ?? 0) + (v[d] ?? 0) / visible.length
    feats.forEach((t, c) => {
      if (it.mask[c]) {
        sum += l1(mean, t)
        count++
      }
    })
  }
  return count ? sum / count : NaN
}

export function inspectedWindows(items: readonly BatchInput[], before: EvalResult, after: EvalResult, n: number): InspectedWindow[] {
  return items.slice(0, n).map((it, i) => ({
    slide: it.window.slide,
    col: it.window.col,
    row: it.window.row,
    size: it.window.size,
    mask: [...it.mask],
    cosineBefore: before.perWindow[i]?.cos ?? [],
    cosineAfter: after.perWindow[i]?.cos ?? []
  }))
}

/** Per-slide grid of the mean masked-prediction L1 after training (cells covered by a masked held-out patch). */
export function errorMaps(items: readonly BatchInput[], after: EvalResult, grids: { slide: string; cols: number; rows: number }[]): ErrorMap[] {
  const acc = new Map<string, { sum: Float64Array; n: Uint32Array; cols: number; rows: number }>()
  for (const g of grids) acc.set(g.slide, { sum: new Float64Array(g.cols * g.rows), n: new Uint32Array(g.cols * g.rows), cols: g.cols, rows: g.rows })
  items.forEach((it, i) => {
    const a = acc.get(it.window.slide)
    const scores = after.perWindow[i]
    if (!a || !scores) return
    const s = it.window.size
    scores.l1.forEach((e, c) => {
      if (e === null) return
      const cell = it.window.col + (c % s) + (it.window.row + Math.floor(c / s)) * a.cols
      a.sum[cell] = (a.sum[cell] ?? 0) + e
      a.n[cell] = (a.n[cell] ?? 0) + 1
    })
  })
  return [...acc.entries()].map(([slide, a]) => ({
    slide,
    cols: a.cols,
    rows: a.rows,
    values: Array.from(a.sum, (v, k) => ((a.n[k] ?? 0) > 0 ? v / (a.n[k] ?? 1) : null))
  }))
}
