// Match feature rows computed elsewhere (TRIDENT/CLAM px, STAMP µm) to our slide-global grid by level-0 coordinates,
// counting what does not line up, so an import never silently pairs features with the wrong patches.

export interface GridMatch {
  /** for each grid patch, the file row holding its features, or -1 */
  fileRowForPatch: Int32Array
  matched: number
  /** file rows whose coordinates are not a patch of our grid (other grid, other tissue mask, cropped bounds…) */
  unmatchedFileRows: number
  /** grid patches the file has no features for */
  gridPatchesWithoutFeatures: number
  /** a few unmatched file coordinates (level-0 px), for the report */
  examples: [number, number][]
}

/**
 * `coordsL0` is N×2 (x, y) level-0 px. A file row matches a grid patch when both corners agree within
 * `tolerancePx` (µm → px conversions round). Each grid patch takes at most one row (the first).
 */
export function matchToGrid(coordsL0: ArrayLike<number>, patches: readonly { x: number; y: number }[], tolerancePx = 2): GridMatch {
  const byCorner = new Map<string, number>()
  patches.forEach((p, i) => byCorner.set(`${p.x},${p.y}`, i))
  const fileRowForPatch = new Int32Array(patches.length).fill(-1)
  const rows = coordsL0.length / 2
  let matched = 0
  const examples: [number, number][] = []
  const t = Math.max(0, Math.ceil(tolerancePx))
  for (let r = 0; r < rows; r++) {
    const x = Math.round(coordsL0[2 * r] as number)
    const y = Math.round(coordsL0[2 * r + 1] as number)
    let hit = -1
    for (let d = 0; d <= t && hit < 0; d++) {
      for (let dy = -d; dy <= d && hit < 0; dy++) {
        for (let dx = -d; dx <= d && hit < 0; dx++) {
          if (Math.max(Math.abs(dx), Math.abs(dy)) !== d) continue // ring d only
          const i = byCorner.get(`${x + dx},${y + dy}`)
          if (i !== undefined && fileRowForPatch[i] === -1) hit = i
        }
      }
    }
    if (hit >= 0) {
      fileRowForPatch[hit] = r
      matched++
    } else if (examples.length < 5) {
      examples.push([x, y])
    }
  }
  return { fileRowForPatch, matched, unmatchedFileRows: rows - matched, gridPatchesWithoutFeatures: patches.length - matched, examples }
}
