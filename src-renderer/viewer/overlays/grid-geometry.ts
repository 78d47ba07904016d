// Patch-grid geometry for overlays, all in level-0 px: cell lookup (hover), visible-cell culling, context
// windows (s×s blocks aligned to multiples of s, as the core's contextWindows with stride = s) and value rasters.
import type { Rect } from '../coords'

/** The grid as the viewer needs it; built once per slide (typed arrays: 20k+ patches stay cheap). */
export interface PatchGrid {
  /** patch footprint in level-0 px */
  size: number
  /** distance between neighbouring patch origins in level-0 px (footprint − overlap) */
  step: number
  cols: number
  rows: number
  /** cell of each patch */
  col: Int32Array
  row: Int32Array
  /** row-major cols×rows: patch index of the cell, −1 where the grid kept no patch (background) */
  cell: Int32Array
}

export interface GridShape {
  cols: number
  rows: number
  stepLevel0: number
  patchSizeLevel0: number
}

/** Build the lookup from the core's patch list. Throws on patches outside the grid (a mismatched grid). */
export function buildPatchGrid(shape: GridShape, patches: readonly { col: number; row: number }[]): PatchGrid {
  const { cols, rows } = shape
  if (!(shape.stepLevel0 > 0) || !(shape.patchSizeLevel0 > 0)) throw new Error('grid step and patch size must be positive')
  const cell = new Int32Array(cols * rows).fill(-1)
  const col = new Int32Array(patches.length)
  const row = new Int32Array(patches.length)
  patches.forEach((p, i) => {
    if (p.col < 0 || p.row < 0 || p.col >= cols || p.row >= rows) {
      throw new Error(`patch ${i} at cell (${p.col}, ${p.row}) lies outside the ${cols}×${rows} grid`)
    }
    col[i] = p.col
    row[i] = p.row
    cell[p.row * cols + p.col] = i
  })
  return { size: shape.patchSizeLevel0, step: shape.stepLevel0, cols, rows, col, row, cell }
}

/** Cell (col,row) containing a level-0 point, or null outside the grid. With overlap, the later-starting patch wins. */
export function cellAt(grid: PatchGrid, x: number, y: number): { col: number; row: number } | null {
  if (x < 0 || y < 0) return null
  // clamp to the last cell: with overlap its footprint reaches past cols·step
  const col = Math.min(Math.floor(x / grid.step), grid.cols - 1)
  const row = Math.min(Math.floor(y / grid.step), grid.rows - 1)
  if (x - col * grid.step >= grid.size || y - row * grid.step >= grid.size) return null
  return { col, row }
}

/** Patch index under a level-0 point, −1 when none. */
export function patchAt(grid: PatchGrid, x: number, y: number): number {
  const c = cellAt(grid, x, y)
  return c ? (grid.cell[c.row * grid.cols + c.col] ?? -1) : -1
}

export function cellRect(grid: PatchGrid, col: number, row: number): Rect {
  return { x: col * grid.step, y: row * grid.step, width: grid.size, height: grid.size }
}

/** Inclusive cell range overlapping a level-0 rectangle, clamped to the grid; null if none. */
export function visibleCells(grid: PatchGrid, r: Rect): { c0: number; c1: number; r0: number; r1: number } | null {
  // a cell c covers [c·step, c·step + size): the first cell reaching x is ceil((x − size)/step)
  const c0 = Math.max(0, Math.floor((r.x - grid.size) / grid.step) + 1)
  const r0 = Math.max(0, Math.floor((r.y - grid.size) / grid.step) + 1)
  const c1 = Math.min(grid.cols - 1, Math.floor((r.x + r.width) / grid.step))
  const r1 = Math.min(grid.rows - 1, Math.floor((r.y + r.height) / grid.step))
  return c0 <= c1 && r0 <= r1 ? { c0, c1, r0, r1 } : null
}

export interface WindowCells {
  col0: number
  row0: number
  s: number
  /** level-0 rectangle covering the window's s×s footprints (clipped to the grid) */
  rect: Rect
  /** s² patch indices, row-major; −1 for background or cells beyond the grid */
  cells: number[]
}

/** The s×s context window containing cell (col,row): origin at multiples of s (non-overlapping blocks). */
export function contextWindowOf(grid: PatchGrid, col: number, row: number, s: number): WindowCells {
  if (!Number.isInteger(s) || s < 1) throw new Error(`window size must be a positive integer, got ${s}`)
  const col0 = Math.floor(col / s) * s
  const row0 = Math.floor(row / s) * s
  const cells: number[] = []
  for (let r = row0; r < row0 + s; r++) {
    for (let c = col0; c < col0 + s; c++) cells.push(c < grid.cols && r < grid.rows ? (grid.cell[r * grid.cols + c] ?? -1) : -1)
  }
  const lastCol = Math.min(grid.cols, col0 + s) - 1
  const lastRow = Math.min(grid.rows, row0 + s) - 1
  return {
    col0,
    row0,
    s,
    cells,
    rect: {
      x: col0 * grid.step,
      y: row0 * grid.step,
      width: (lastCol - col0) * grid.step + grid.size,
      height: (lastRow - row0) * grid.step + grid.size
    }
  }
}

/**
 * RGBA raster with one pixel per grid cell (row-major cols×rows), for drawing per-cell maps (attention, error,
 * patch occupancy) as ONE scaled image instead of one rectangle per cell. `colorAt` returns null for transparent.
 */
export function cellRaster(
  cols: number,
  rows: number,
  colorAt: (cellIndex: number) => readonly [number, number, number, number] | null
): Uint8ClampedArray {
  const out = new Uint8ClampedArray(cols * rows * 4)
  for (let i = 0; i < cols * rows; i++) {
    const c = colorAt(i)
    if (!c) continue
    out[i * 4] = c[0]
    out[i * 4 + 1] = c[1]
    out[i * 4 + 2] = c[2]
    out[i * 4 + 3] = c[3]
  }
  return out
}
