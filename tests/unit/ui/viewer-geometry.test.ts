// Overlay geometry of the slide viewer: level-0 ↔ element transform, grid lookup/culling, context windows, scale bar.
import { describe, expect, it } from 'vitest'
import { intersect, toElement, toLevel0, transformFrom, visibleLevel0 } from '../../../src-renderer/viewer/coords'
import { buildPatchGrid, cellAt, cellRaster, contextWindowOf, patchAt, visibleCells } from '../../../src-renderer/viewer/overlays/grid-geometry'
import { scaleBar, formatMicrons } from '../../../src-renderer/viewer/scale-bar'
import { colorOf, rangeOf } from '../../../src-renderer/viewer/colormap'

describe('view transform', () => {
  it('recovers scale and offset from a mapping and round-trips points', () => {
    const map = (x: number, y: number): { x: number; y: number } => ({ x: x * 0.0371 - 12.5, y: y * 0.0371 + 40 })
    const t = transformFrom(map, 98_304)
    expect(t.scale).toBeCloseTo(0.0371, 12)
    expect(t.offsetX).toBeCloseTo(-12.5, 9)
    const p = toElement(t, 51_234, 7_777)
    expect(p.x).toBeCloseTo(map(51_234, 7_777).x, 6)
    const back = toLevel0(t, p.x, p.y)
    expect(back.x).toBeCloseTo(51_234, 6)
    expect(back.y).toBeCloseTo(7_777, 6)
    const v = visibleLevel0(t, 800, 600)
    expect(v.width).toBeCloseTo(800 / 0.0371, 6)
    expect(intersect({ x: 0, y: 0, width: 10, height: 10 }, { x: 5, y: 5, width: 10, height: 10 })).toEqual({ x: 5, y: 5, width: 5, height: 5 })
    expect(intersect({ x: 0, y: 0, width: 1, height: 1 }, { x: 2, y: 2, width: 1, height: 1 })).toBeNull()
  })
})

describe('patch grid geometry', () => {
  // 5×4 grid, step 100, footprint 100; cells (1,1) and (4,3) have no patch
  const patches: { col: number; row: number }[] = []
  for (let row = 0; row < 4; row++) for (let col = 0; col < 5; col++) if (!(col === 1 && row === 1) && !(col === 4 && row === 3)) patches.push({ col, row })
  const grid = buildPatchGrid({ cols: 5, rows: 4, stepLevel0: 100, patchSizeLevel0: 100 }, patches)

  it('finds the patch under a level-0 point, and none on background or outside', () => {
    expect(patchAt(grid, 250, 50)).toBe(patches.findIndex((p) => p.col === 2 && p.row === 0))
    expect(patchAt(grid, 150, 150)).toBe(-1)
    expect(patchAt(grid, -1, 10)).toBe(-1)
    expect(patchAt(grid, 500, 10)).toBe(-1)
    expect(cellAt(grid, 499.9, 399.9)).toEqual({ col: 4, row: 3 })
  })

  it('with overlap the later-starting patch owns the shared strip', () => {
    const overlapped = buildPatchGrid({ cols: 3, rows: 1, stepLevel0: 80, patchSizeLevel0: 100 }, [
      { col: 0, row: 0 },
      { col: 1, row: 0 },
      { col: 2, row: 0 }
    ])
    expect(cellAt(overlapped, 90, 10)).toEqual({ col: 1, row: 0 })
    expect(cellAt(overlapped, 250, 10)).toEqual({ col: 2, row: 0 })
    expect(cellAt(overlapped, 90, 95)).toEqual({ col: 1, row: 0 })
    expect(cellAt(overlapped, 90, 101)).toBeNull()
  })

  it('culls to the cells overlapping the view', () => {
    expect(visibleCells(grid, { x: 150, y: 120, width: 100, height: 50 })).toEqual({ c0: 1, c1: 2, r0: 1, r1: 1 })
    expect(visibleCells(grid, { x: -1000, y: -1000, width: 5000, height: 5000 })).toEqual({ c0: 0, c1: 4, r0: 0, r1: 3 })
    expect(visibleCells(grid, { x: 600, y: 0, width: 10, height: 10 })).toBeNull()
  })

  it('context windows are s×s blocks aligned to multiples of s, clipped at the grid edge', () => {
    const w = contextWindowOf(grid, 3, 2, 2)
    expect([w.col0, w.row0]).toEqual([2, 2])
    expect(w.rect).toEqual({ x: 200, y: 200, width: 200, height: 200 })
    const edge = contextWindowOf(grid, 4, 3, 2)
    expect([edge.col0, edge.row0]).toEqual([4, 2])
    expect(edge.rect.width).toBe(100)
    // cells beyond the grid and the background cell (4,3) are −1
    expect(edge.cells.filter((c) => c < 0).length).toBe(3)
    expect(() => contextWindowOf(grid, 0, 0, 0)).toThrow(/positive integer/)
  })

  it('rejects patches outside the grid', () => {
    expect(() => buildPatchGrid({ cols: 2, rows: 2, stepLevel0: 10, patchSizeLevel0: 10 }, [{ col: 2, row: 0 }])).toThrow(/outside the 2×2 grid/)
  })

  it('rasterises one pixel per cell', () => {
    const px = cellRaster(grid.cols, grid.rows, (i) => ((grid.cell[i] ?? -1) >= 0 ? [1, 2, 3, 4] : null))
    expect(px.length).toBe(5 * 4 * 4)
    expect(Array.from(px.slice(0, 4))).toEqual([1, 2, 3, 4])
    const bg = (1 * 5 + 1) * 4
    expect(Array.from(px.slice(bg, bg + 4))).toEqual([0, 0, 0, 0])
  })
})

describe('scale bar and colours', () => {
  it('picks the longest 1/2/5 length that fits', () => {
    // 0.25 µm/px at 0.5 css px per level-0 px → 0.5 µm per css px; 140 px = 70 µm → 50 µm bar of 100 px
    const bar = scaleBar(0.25, 0.5, 140)
    expect(bar).toEqual({ px: 100, microns: 50, label: '50 µm' })
    expect(scaleBar(0.5, 0.001, 140)?.label).toBe('50 mm')
    expect(scaleBar(0, 1)).toBeNull()
    expect(formatMicrons(0.2)).toBe('200 nm')
  })

  it('maps scale ends and finds finite ranges', () => {
    expect(colorOf('viridis', 0, 0, 1)).toEqual([68, 1, 84])
    expect(colorOf('viridis', 1, 0, 1)).toEqual([253, 231, 37])
    expect(colorOf('diverging', 0, -1, 1)).toEqual([224, 224, 224])
    expect(rangeOf([null, 3, -2, NaN, 7])).toEqual({ min: -2, max: 7 })
    expect(rangeOf([null])).toBeNull()
  })
})
