// Context windows (s×s neighbouring grid patches), the epoch plan and the held-out split.
//
// Definition of one epoch (documented for the run view and docs/mcm-recipe.md), with window stride t (window.stride,
// default ⌈s/2⌉) and k = masked cells per window (ratio·s², clamped to [1, s²−1]):
// - t < s (overlapping, the default): window origins on a lattice of step t at a seeded offset (ox, oy ∈ [0, t)); a
//   tissue patch that lies in some full window (all s² cells tissue) but in no lattice window gets one extra full
//   window that holds it, so EVERY such patch of the training slides is in at least one window each epoch. Each window
//   is visited once with a seeded mask; a patch is a masked target about k/t² times (2 at s = 4, t = 2, 50 %).
// - t = s: the non-overlapping tiling at a seeded offset; each full window is visited P = ceil(s²/k) times, and with
//   the random strategy the passes mask consecutive slices of one seeded permutation, so every patch inside a full
//   window is a masked target once. Patches at tissue borders that fall in no full window of the tiling are missed.
// With the block strategy masks are drawn independently per visit. All visits are shuffled together.
// Patches in no full window at all (isolated tissue) can never be targets. For s = 1 (no-context KD) an epoch is
// every tissue patch once, nothing masked.
import type { McmConfig } from '../../../src-shared/contracts/train'
import { Rng, STREAM, deriveSeed } from './rng'
import { maskedCount } from './masking'
import type { SlideGridView } from './data-source'

export interface ContextWindow {
  slide: string
  /** top-left grid cell of the window */
  col: number
  row: number
  size: number
  /** patch index of each cell, row-major s×s */
  cells: number[]
  /** training visits only: which slice of the window's cell permutation this visit masks */
  cover?: { key: number; pass: number; passes: number }
}

/** col,row → patch index (−1 where the cell has no tissue patch). */
export function cellLookup(grid: SlideGridView): Int32Array {
  const lut = new Int32Array(grid.cols * grid.rows).fill(-1)
  for (const p of grid.patches) lut[p.col + p.row * grid.cols] = p.index
  return lut
}

/** The full windows of one tiling of one slide at offset (ox, oy). */
export function tileWindows(grid: SlideGridView, s: number, ox: number, oy: number, lut = cellLookup(grid)): ContextWindow[] {
  const out: ContextWindow[] = []
  for (let row = oy; row + s <= grid.rows; row += s) {
    for (let col = ox; col + s <= grid.cols; col += s) {
      const w = windowAt(grid, col, row, s, lut)
      if (w) out.push(w)
    }
  }
  return out
}

/** The window with top-left (col,row), or null when one of its cells is not tissue or it leaves the grid. */
export function windowAt(grid: SlideGridView, col: number, row: number, s: number, lut = cellLookup(grid)): ContextWindow | null {
  if (col < 0 || row < 0 || col + s > grid.cols || row + s > grid.rows) return null
  const cells: number[] = []
  for (let r = 0; r < s; r++) {
    for (let c = 0; c < s; c++) {
      const idx = lut[col + c + (row + r) * grid.cols] ?? -1
      if (idx < 0) return null
      cells.push(idx)
    }
  }
  return { slide: grid.slide, col, row, size: s, cells }
}

export function passesPerEpoch(s: number, ratio: number): number {
  return s === 1 ? 1 : Math.ceil((s * s) / maskedCount(s, ratio))
}

/** The window stride of a config: window.stride, default ⌈s/2⌉, never above s. */
export function windowStride(cfg: Pick<McmConfig, 'window'>): number {
  const s = cfg.window.size
  return Math.min(s, cfg.window.stride ?? Math.ceil(s / 2))
}

/**
 * Full windows on the stride-t lattice at offset (ox, oy), plus, for each tissue patch that lies in some full window
 * but in none of the lattice's, the full window holding it whose origin is nearest the lattice (first in row-major).
 */
export function coveringWindows(grid: SlideGridView, s: number, t: number, ox: number, oy: number, lut = cellLookup(grid)): ContextWindow[] {
  const out: ContextWindow[] = []
  const covered = new Uint8Array(grid.cols * grid.rows)
  const take = (w: ContextWindow): void => {
    out.push(w)
    for (let r = 0; r < s; r++) for (let c = 0; c < s; c++) covered[w.col + c + (w.row + r) * grid.cols] = 1
  }
  for (let row = oy; row + s <= grid.rows; row += t) {
    for (let col = ox; col + s <= grid.cols; col += t) {
      const w = windowAt(grid, col, row, s, lut)
      if (w) take(w)
    }
  }
  for (const p of grid.patches) {
    if (covered[p.col + p.row * grid.cols]) continue
    let best: ContextWindow | null = null
    let bestDist = Infinity
    for (let dr = 0; dr < s; dr++) {
      for (let dc = 0; dc < s; dc++) {
        const w = windowAt(grid, p.col - dc, p.row - dr, s, lut)
        if (!w) continue
        const dist = ((w.col - ox) % t) + ((w.row - oy) % t)
        if (dist < bestDist) [best, bestDist] = [w, dist]
      }
    }
    if (best) take(best)
  }
  return out
}

/** The ordered window visits of the whole run (all epochs), a pure function of the seed: resume recomputes it. */
export function trainingPlan(grids: readonly SlideGridView[], cfg: McmConfig): ContextWindow[] {
  const s = cfg.window.size
  const t = windowStride(cfg)
  const passes = t === s ? passesPerEpoch(s, cfg.mask.ratio) : 1
  const luts = grids.map((g) => cellLookup(g))
  const plan: ContextWindow[] = []
  const wholeEpochs = Math.ceil(cfg.epochs)
  for (let e = 0; e < wholeEpochs; e++) {
    const epoch: ContextWindow[] = []
    grids.forEach((g, gi) => {
      const rng = Rng.keyed(cfg.seed, STREAM.plan, e, gi)
      const ox = s === 1 ? 0 : rng.int(t)
      const oy = s === 1 ? 0 : rng.int(t)
      const windows = t === s ? tileWindows(g, s, ox, oy, luts[gi]) : coveringWindows(g, s, t, ox, oy, luts[gi])
      for (const w of windows) {
        const key = deriveSeed(e, gi, w.col, w.row)
        for (let pass = 0; pass < passes; pass++) epoch.push({ ...w, cover: { key, pass, passes } })
      }
    })
    Rng.keyed(cfg.seed, STREAM.plan, e, 1_000_003).shuffle(epoch)
    const keep = e < wholeEpochs - 1 || Number.isInteger(cfg.epochs) ? epoch.length : Math.round((cfg.epochs - e) * epoch.length)
    plan.push(...epoch.slice(0, keep))
  }
  return plan
}

export function totalSteps(planLength: number, cfg: McmConfig): number {
  const steps = Math.ceil(planLength / cfg.batchWindows)
  return cfg.maxSteps !== undefined ? Math.min(steps, cfg.maxSteps) : steps
}

/** slide → patient id, or null when some slide has no patient (then the split cannot be by patient). */
export function patientsOf(grids: readonly SlideGridView[]): Map<string, string> | null {
  const m = new Map<string, string>()
  for (const g of grids) {
    if (!g.patient) return null
    m.set(g.slide, g.patient)
  }
  return m
}

// the held-out split is shared with the cluster export (it is decided on the workstation there)
export { splitSlides } from '../../../src-shared/domain/held-out-split'

/** Held-out windows: the offset-0 tiling of the held-out slides, seeded shuffle, first maxWindows. */
export function heldOutWindows(grids: readonly SlideGridView[], cfg: McmConfig): ContextWindow[] {
  const all = grids.flatMap((g) => tileWindows(g, cfg.window.size, 0, 0))
  return Rng.keyed(cfg.seed, STREAM.heldOut, 0).shuffle(all).slice(0, cfg.heldOut.maxWindows)
}
