// Builds one training/evaluation batch from context windows: reads ONLY the visible patches (pixels of masked
// patches are never read), augments + normalises them, and lays out the placement matrix, masks and teacher targets.
import type { McmConfig } from '../../../src-shared/contracts/train'
import { drawAugment, IDENTITY_AUGMENT, writeStudentInput } from './augment'
import { mapLimit, type McmDataSource } from './data-source'
import { Rng, STREAM } from './rng'
import type { McmTargets } from './targets'
import type { ContextWindow } from './windows'

export interface WindowBatch {
  windows: number
  /** tokens per window (s²) */
  tokens: number
  /** visible patches, [nVisible, p, p, 3] normalised float32 HWC */
  visiblePixels: Float32Array
  nVisible: number
  /** [windows·s², nVisible] one-hot: row = window cell, column = visible patch (zero rows at masked cells) */
  placement: Float32Array
  /** [windows, s², 1]: 1 where the cell is masked (replaced by the mask token) */
  tokenMask: Float32Array
  /** [windows, s², 1]: 1 where the loss is taken (masked cells; every cell when s = 1) */
  lossWeight: Float32Array
  /** [windows, s², targetDim] teacher targets of every cell (ml/mcm/targets.ts) */
  targets: Float32Array
  /** [nVisible, targetDim] teacher targets of the visible patches (visible KD term) */
  visibleTargets: Float32Array
  masks: boolean[][]
}

export interface BatchInput {
  window: ContextWindow
  mask: boolean[]
  /** plan position (seeds the augmentation); null = no augmentation (evaluation) */
  augmentKey: number | null
}

export async function buildBatch(
  source: McmDataSource,
  targetSet: McmTargets,
  items: readonly BatchInput[],
  cfg: McmConfig,
  student: { mean: readonly number[]; std: readonly number[] },
  signal?: AbortSignal,
  readConcurrency = 4
): Promise<WindowBatch> {
  const s = cfg.window.size
  const tokens = s * s
  const p = source.patchSize
  const td = targetSet.space.dim
  const visible: { slide: string; index: number; key: number | null; cell: number }[] = []
  for (const it of items) {
    if (it.mask.length !== tokens) throw new Error(`mask has ${it.mask.length} cells, window has ${tokens}`)
    if (tokens > 1 && it.mask.every(Boolean)) throw new Error(`window ${it.window.slide}@${it.window.col},${it.window.row} is fully masked`)
    it.window.cells.forEach((index, cell) => {
      if (!it.mask[cell]) visible.push({ slide: it.window.slide, index, key: it.augmentKey, cell })
    })
  }
  const nVisible = visible.length
  const visiblePixels = new Float32Array(nVisible * p * p * 3)
  await mapLimit(visible, readConcurrency, async (v, i) => {
    const rgb = await source.readPatch(v.slide, v.index, signal)
    const aug = v.key === null ? IDENTITY_AUGMENT : drawAugment(cfg.augment, Rng.keyed(cfg.seed, STREAM.augment, v.key, v.cell))
    writeStudentInput(rgb, p, aug, student.mean, student.std, visiblePixels, i * p * p * 3)
  })
  const placement = new Float32Array(items.length * tokens * nVisible)
  const tokenMask = new Float32Array(items.length * tokens)
  const lossWeight = new Float32Array(items.length * tokens)
  const targets = new Float32Array(items.length * tokens * td)
  const visibleTargets = new Float32Array(nVisible * td)
  let vi = 0
  items.forEach((it, w) => {
    it.window.cells.forEach((index, cell) => {
      const row = w * tokens + cell
      const t = targetSet.target(it.window.slide, index)
      targets.set(t, row * td)
      if (it.mask[cell]) {
        tokenMask[row] = 1
        lossWeight[row] = 1
      } else {
        placement[row * nVisible + vi] = 1
        visibleTargets.set(t, vi * td)
        if (tokens === 1) lossWeight[row] = 1
        vi++
      }
    })
  })
  return {
    windows: items.length,
    tokens,
    visiblePixels,
    nVisible,
    placement,
    tokenMask,
    lossWeight,
    targets,
    visibleTargets,
    masks: items.map((i) => i.mask)
  }
}
