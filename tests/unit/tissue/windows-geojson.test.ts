// Context windows over grid neighbours and GeoJSON export (tissue outline rings, patch tiles).
import { describe, expect, it } from 'vitest'
import type { GridPatch } from '../../../src-shared/domain/grid'
import { contextWindows, GridIndex, minFilled } from '../../../src-main/tissue/context-windows'
import { maskPolygons, patchesToGeoJSON, signedArea, tissueToGeoJSON, traceRings } from '../../../src-main/interop/geojson'

/** Patches on every cell of a cols×rows block except the listed holes. */
function block(cols: number, rows: number, holes: [number, number][] = []): GridPatch[] {
  const out: GridPatch[] = []
  for (let row = 0; row < rows; row++) {
    for (let col = 0; col < cols; col++) {
      if (holes.some(([c, r]) => c === col && r === row)) continue
      out.push({ index: out.length, x: col * 100, y: row * 100, col, row, tissue: 1 })
    }
  }
  return out
}

describe('context windows', () => {
  it('tiles complete s×s blocks under require-all, from the slide-global origin', () => {
    const patches = block(6, 4, [[4, 1]])
    const set = contextWindows(patches, 2, 'require-all')
    // 3×2 blocks of 2×2; the one holding (4,1) is incomplete
    expect(set.windows.map((w) => [w.col0, w.row0])).toEqual([
      [0, 0],
      [2, 0],
      [0, 2],
      [2, 2],
      [4, 2]
    ])
    expect(set.windows[0]?.cells).toEqual([0, 1, 6, 7])
    expect(set).toMatchObject({ s: 2, rule: 'require-all', stride: 2 })
  })

  it('accepts windows with background cells under min-fraction, marking them -1', () => {
    const patches = block(6, 4, [[4, 1]])
    const set = contextWindows(patches, 2, 'min-fraction:0.75')
    const w = set.windows.find((x) => x.col0 === 4 && x.row0 === 0)
    expect(w?.filled).toBe(3)
    expect(w?.cells.filter((c) => c === -1)).toHaveLength(1)
    expect(minFilled(3, 'min-fraction:0.75')).toBe(7)
    expect(minFilled(3, 'require-all')).toBe(9)
    expect(() => minFilled(3, 'min-fraction:2' as 'require-all')).toThrow(/rule/)
  })

  it('sliding windows (stride 1) and the window around a patch', () => {
    const patches = block(4, 4)
    expect(contextWindows(patches, 3, 'require-all', 1).windows).toHaveLength(4)
    const index = new GridIndex(patches)
    const around = index.windowAround(5, 3, 'require-all') // patch (1,1): window (0..2, 0..2)
    expect(around).toMatchObject({ col0: 0, row0: 0, satisfiesRule: true, filled: 9 })
    const corner = index.windowAround(0, 3, 'require-all')
    expect(corner.filled).toBe(4)
    expect(corner.satisfiesRule).toBe(false)
    expect(corner.cells[4]).toBe(0) // centre cell is the patch itself
  })
})

describe('GeoJSON', () => {
  const mask = (w: number, h: number, on: [number, number][]): { width: number; height: number; downsample: number; data: Uint8Array } => {
    const data = new Uint8Array(w * h)
    for (const [x, y] of on) data[y * w + x] = 1
    return { width: w, height: h, downsample: 10, data }
  }

  it('traces a square with a hole as one polygon with one hole, in level-0 px', () => {
    const on: [number, number][] = []
    for (let y = 1; y < 5; y++) for (let x = 1; x < 5; x++) if (!(x === 2 && y === 2)) on.push([x, y])
    const polys = maskPolygons(mask(6, 6, on))
    expect(polys).toHaveLength(1)
    expect(polys[0]).toHaveLength(2)
    const [outer, hole] = polys[0]!
    expect(Math.abs(signedArea(outer!))).toBe(40 * 40)
    expect(Math.abs(signedArea(hole!))).toBe(10 * 10)
    expect(outer![0]).toEqual(outer![outer!.length - 1]) // closed ring
    expect(outer!.every(([x, y]) => x >= 10 && x <= 50 && y >= 10 && y <= 50)).toBe(true)
  })

  it('keeps diagonal pixels as separate polygons', () => {
    const rings = traceRings(mask(3, 3, [[0, 0], [1, 1]]))
    expect(rings).toHaveLength(2)
    expect(rings.every((r) => signedArea(r) === 1)).toBe(true)
  })

  it('writes a QuPath-style FeatureCollection for tissue and for patches', () => {
    const fc = tissueToGeoJSON(mask(4, 4, [[1, 1], [2, 1]]), { threshold: 20 })
    expect(fc.type).toBe('FeatureCollection')
    expect(fc.features[0]?.geometry.type).toBe('MultiPolygon')
    expect(fc.features[0]?.properties).toMatchObject({ objectType: 'annotation', classification: { name: 'Tissue' }, threshold: 20 })
    expect(tissueToGeoJSON(mask(4, 4, [])).features).toHaveLength(0)

    const patches = block(2, 1)
    const grid = patchesToGeoJSON(patches, 448, { score: [0.2, Number.NaN] })
    expect(grid.features).toHaveLength(2)
    const f = grid.features[1]!
    expect(f.geometry).toEqual({ type: 'Polygon', coordinates: [[[100, 0], [548, 0], [548, 448], [100, 448], [100, 0]]] })
    expect(f.properties).toMatchObject({ objectType: 'tile', col: 1, row: 0, tissue: 1, measurements: {} })
    expect(grid.features[0]?.properties['measurements']).toEqual({ score: 0.2 })
    expect(() => patchesToGeoJSON(patches, 448, { score: [1] })).toThrow(/1 values for 2 patches/)
  })
})
