// Matching imported feature coordinates to our grid: exact corners, rounding tolerance, off-grid rows, duplicates.
import { describe, expect, it } from 'vitest'
import { matchToGrid } from '../../../src-main/interop/grid-match'

const grid = [
  { x: 0, y: 0 },
  { x: 448, y: 0 },
  { x: 0, y: 448 },
  { x: 448, y: 448 }
]

describe('matchToGrid', () => {
  it('pairs rows with grid patches by corner, in any row order, within the tolerance', () => {
    const m = matchToGrid([448.4, 447.6, 0, 0, 449, 1], grid)
    // row 0 → patch 3 (rounding), row 1 → patch 0, row 2 → patch 1 (1 px off)
    expect(Array.from(m.fileRowForPatch)).toEqual([1, 2, -1, 0])
    expect(m).toMatchObject({ matched: 3, unmatchedFileRows: 0, gridPatchesWithoutFeatures: 1, examples: [] })
  })

  it('reports off-grid and duplicate rows instead of pairing them', () => {
    const m = matchToGrid([0, 0, 0, 0, 224, 224, 5000, 5000], grid)
    expect(m).toMatchObject({ matched: 1, unmatchedFileRows: 3, gridPatchesWithoutFeatures: 3 })
    expect(m.examples).toEqual([
      [0, 0],
      [224, 224],
      [5000, 5000]
    ])
    expect(matchToGrid([3, 0], grid, 2).matched).toBe(0)
    expect(matchToGrid([3, 0], grid, 3).matched).toBe(1)
  })
})
