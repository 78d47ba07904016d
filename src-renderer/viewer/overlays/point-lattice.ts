// Per-patch scores given as level-0 top-left corners (e.g. MIL attention from an evaluation) rasterised onto the
// patch-size lattice: one cell per patch, so a whole slide draws as one scaled image (see point-map.ts).

export interface PointMap {
  cols: number
  rows: number
  patchSize: number
  /** row-major cols×rows, NaN where no patch */
  values: Float32Array
}

/** Rasterise N corners (flat [x0, y0, x1, y1, …]) with scores onto the patch-size lattice. */
export function buildPointMap(coords: ArrayLike<number>, scores: ArrayLike<number>, patchSize: number): PointMap {
  if (!(patchSize > 0)) throw new Error(`patch size must be positive, got ${patchSize}`)
  if (coords.length !== scores.length * 2) throw new Error(`expected ${scores.length * 2} coordinates for ${scores.length} scores, got ${coords.length}`)
  let maxX = 0
  let maxY = 0
  for (let i = 0; i < scores.length; i++) {
    maxX = Math.max(maxX, coords[2 * i] ?? 0)
    maxY = Math.max(maxY, coords[2 * i + 1] ?? 0)
  }
  const cols = Math.floor(maxX / patchSize) + 1
  const rows = Math.floor(maxY / patchSize) + 1
  const values = new Float32Array(cols * rows).fill(NaN)
  for (let i = 0; i < scores.length; i++) {
    const c = Math.round((coords[2 * i] ?? 0) / patchSize)
    const r = Math.round((coords[2 * i + 1] ?? 0) / patchSize)
    if (c < cols && r < rows) values[r * cols + c] = scores[i] ?? NaN
  }
  return { cols, rows, patchSize, values }
}
