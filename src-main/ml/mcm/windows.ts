// Context windows (s×s neighbouring grid patches), the epoch plan and the held-out split.
//
// Definition of one epoch (documented for the run view): the grid of every training slide is tiled into
// non-overlapping s×s windows; only windows whose s² cells are all tissue patches are kept. One pass over these tilings
// makes each kept patch a masked target with probability = mask ratio, so an epoch is ceil(1 / ratio) passes, each at a
// fresh seeded tiling offset (ox, oy ∈ [0, s)), shuffled together: every tissue patch that lies in full windows is a
// masked target about once. Patches at tissue borders that never fall inside a full window are never targets.
// For s = 1 (no-context KD) an epoch is one pass: every tissue patch once, nothing masked.
import type { McmConfig } from '../../../src-shared/contracts/train'
import { Rng, STREAM } from './rng'
import type { SlideGridView } from './data-source'

export interface ContextWindow {
  slide: string
  /** top-left grid cell of the window */
  col: number
  row: number
  size: number
  /** patch index of each cell, row-major s×s */
  cells: number[]
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
  return s === 1 ? 1 : Math.ceil(1 / ratio)
}

/** The ordered windows of the whole run (all epochs), a pure function of the seed: resume recomputes it. */
export function trainingPlan(grids: readonly SlideGridView[], cfg: McmConfig): ContextWindow[] {
  const s = cfg.window.size
  const passes = passesPerEpoch(s, cfg.mask.ratio)
  const luts = grids.map((g) => cellLookup(g))
  const plan: ContextWindow[] = []
  const wholeEpochs = Math.ceil(cfg.epochs)
  for (let e = 0; e < wholeEpochs; e++) {
    const epoch: ContextWindow[] = []
    for (let p = 0; p < passes; p++) {
      grids.forEach((g, gi) => {
        const rng = Rng.keyed(cfg.seed, STREAM.plan, e, p, gi)
        const ox = s === 1 ? 0 : rng.int(s)
        const oy = s === 1 ? 0 : rng.int(s)
        epoch.push(...tileWindows(g, s, ox, oy, luts[gi]))
      })
    }
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
