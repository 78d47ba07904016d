// Context windows (s×s neighbouring grid patches), the epoch plan and the held-out split.
//
// Definition of one epoch (documented for the run view): the grid of every training slide is tiled into
// non-overlapping s×s windows at a seeded offset (ox, oy ∈ [0, s)); only windows whose s² cells are all tissue patches
// are kept. With k = masked cells per window (ratio·s², clamped to [1, s²−1]), each kept window is visited
// P = ceil(s² / k) times in the epoch ("passes"); with the random strategy the passes mask consecutive slices of one
// seeded permutation of the cells, so every patch inside a full window is a masked target once (a few twice when k does
// not divide s²). With the block strategy masks are drawn independently per visit (about once in expectation).
// Patches at tissue borders that fall in no full window are never targets. All visits are shuffled together.
// For s = 1 (no-context KD) an epoch is every tissue patch once, nothing masked.
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

/** The ordered window visits of the whole run (all epochs), a pure function of the seed: resume recomputes it. */
export function trainingPlan(grids: readonly SlideGridView[], cfg: McmConfig): ContextWindow[] {
  const s = cfg.window.size
  const passes = passesPerEpoch(s, cfg.mask.ratio)
  const luts = grids.map((g) => cellLookup(g))
  const plan: ContextWindow[] = []
  const wholeEpochs = Math.ceil(cfg.epochs)
  for (let e = 0; e < wholeEpochs; e++) {
    const epoch: ContextWindow[] = []
    grids.forEach((g, gi) => {
      const rng = Rng.keyed(cfg.seed, STREAM.plan, e, gi)
      const ox = s === 1 ? 0 : rng.int(s)
      const oy = s === 1 ? 0 : rng.int(s)
      for (const w of tileWindows(g, s, ox, oy, luts[gi])) {
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

/** Training and held-out slide names. Held-out: the named slides, else the last `fraction` by name (at least one). */
export function splitSlides(names: readonly string[], heldOut: McmConfig['heldOut']): { train: string[]; heldOut: string[] } {
  const sorted = [...names].sort()
  let held: string[]
  if (heldOut.slides.length > 0) {
    const missing = heldOut.slides.filter((n) => !sorted.includes(n))
    if (missing.length) throw new Error(`held-out slides not in the cohort: ${missing.join(', ')}`)
    held = [...heldOut.slides]
  } else {
    const n = heldOut.fraction > 0 ? Math.max(1, Math.round(sorted.length * heldOut.fraction)) : 0
    held = sorted.slice(sorted.length - n)
  }
  const train = sorted.filter((n) => !held.includes(n))
  if (train.length === 0) throw new Error('no training slides left after the held-out split: lower heldOut.fraction or name fewer slides')
  return { train, heldOut: held }
}

/** Held-out windows: the offset-0 tiling of the held-out slides, seeded shuffle, first maxWindows. */
export function heldOutWindows(grids: readonly SlideGridView[], cfg: McmConfig): ContextWindow[] {
  const all = grids.flatMap((g) => tileWindows(g, cfg.window.size, 0, 0))
  return Rng.keyed(cfg.seed, STREAM.heldOut, 0).shuffle(all).slice(0, cfg.heldOut.maxWindows)
}
