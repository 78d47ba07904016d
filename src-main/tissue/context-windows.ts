// Context windows for MCM: s×s blocks of grid neighbours (slide-global col,row). Cells without a kept patch
// (background, or below minTissue) are -1; the recorded rule decides which windows are usable.
import type { GridPatch } from '../../src-shared/domain/grid'

/** 'require-all': every cell has a patch; 'min-fraction:f': at least ceil(f·s²) cells have one. */
export type WindowRule = 'require-all' | `min-fraction:${number}`

export interface ContextWindow {
  /** top-left cell of the window */
  col0: number
  row0: number
  /** s² patch indices, row-major within the window; -1 = no patch (background) */
  cells: number[]
  /** number of cells that hold a patch */
  filled: number
}

export interface ContextWindowSet {
  s: number
  rule: WindowRule
  /** window origins are multiples of stride from (0,0) (stride = s: non-overlapping blocks) */
  stride: number
  windows: ContextWindow[]
}

/** Minimum number of filled cells a window needs under `rule`. Throws on a malformed rule. */
export function minFilled(s: number, rule: WindowRule): number {
  if (rule === 'require-all') return s * s
  const m = /^min-fraction:(\d*\.?\d+)$/.exec(rule)
  const f = m ? Number(m[1]) : NaN
  if (!(f > 0 && f <= 1)) throw new Error(`window rule "${rule}" is not 'require-all' or 'min-fraction:<0<f≤1>'`)
  return Math.max(1, Math.ceil(f * s * s - 1e-9))
}

/** Cell lookup for a grid: (col,row) → patch index. */
export class GridIndex {
  private readonly byCell = new Map<number, number>()
  private readonly width: number

  constructor(readonly patches: readonly GridPatch[]) {
    let maxCol = 0
    for (const p of patches) maxCol = Math.max(maxCol, p.col)
    this.width = maxCol + 1
    patches.forEach((p, i) => this.byCell.set(p.row * this.width + p.col, i))
  }

  at(col: number, row: number): number {
    if (col < 0 || row < 0 || col >= this.width) return -1
    return this.byCell.get(row * this.width + col) ?? -1
  }

  /** The s×s window whose top-left cell is (col0,row0). */
  window(col0: number, row0: number, s: number): ContextWindow {
    const cells: number[] = []
    let filled = 0
    for (let dr = 0; dr < s; dr++) {
      for (let dc = 0; dc < s; dc++) {
        const i = this.at(col0 + dc, row0 + dr)
        cells.push(i)
        if (i >= 0) filled++
      }
    }
    return { col0, row0, cells, filled }
  }

  /** The window centred on patch i (for even s the patch sits just below-right of centre), kept or not by the rule. */
  windowAround(i: number, s: number, rule: WindowRule): ContextWindow & { satisfiesRule: boolean } {
    const p = this.patches[i]
    if (!p) throw new Error(`patch ${i} is not in the grid (${this.patches.length} patches)`)
    const w = this.window(p.col - Math.floor(s / 2), p.row - Math.floor(s / 2), s)
    return { ...w, satisfiesRule: w.filled >= minFilled(s, rule) }
  }
}

/** All windows on the stride lattice that satisfy the rule (each patch's windows are found via its own cell). */
export function contextWindows(patches: readonly GridPatch[], s: number, rule: WindowRule, stride = s): ContextWindowSet {
  if (!Number.isInteger(s) || s < 1) throw new Error(`window size s must be a positive integer, got ${s}`)
  if (!Number.isInteger(stride) || stride < 1) throw new Error(`stride must be a positive integer, got ${stride}`)
  const need = minFilled(s, rule)
  const index = new GridIndex(patches)
  // candidate origins: every lattice origin whose window contains at least one patch
  const origins = new Set<string>()
  for (const p of patches) {
    const c1 = Math.floor(p.col / stride) * stride
    const r1 = Math.floor(p.row / stride) * stride
    for (let c0 = c1; c0 > p.col - s; c0 -= stride) {
      for (let r0 = r1; r0 > p.row - s; r0 -= stride) if (c0 >= 0 && r0 >= 0) origins.add(`${c0},${r0}`)
    }
  }
  const windows: ContextWindow[] = []
  for (const o of origins) {
    const [c0, r0] = o.split(',').map(Number) as [number, number]
    const w = index.window(c0, r0, s)
    if (w.filled >= need) windows.push(w)
  }
  windows.sort((a, b) => a.row0 - b.row0 || a.col0 - b.col0)
  return { s, rule, stride, windows }
}
