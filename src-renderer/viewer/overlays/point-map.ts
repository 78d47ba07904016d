// Per-patch scores given as level-0 top-left corners (e.g. MIL attention from an evaluation), drawn as one raster
// whose cells are the patch footprint: corners on a lattice of the patch size map to one pixel each.
import type { Overlay } from '../overlay-canvas'
import { colorOf, type ColorScaleName } from '../colormap'

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

export function pointMapOverlay(id: string, map: PointMap, scale: ColorScaleName, range: { min: number; max: number }): Overlay {
  const image = document.createElement('canvas')
  image.width = map.cols
  image.height = map.rows
  const ctx = image.getContext('2d')
  if (ctx) {
    const px = new Uint8ClampedArray(map.cols * map.rows * 4)
    map.values.forEach((v, i) => {
      if (!Number.isFinite(v)) return
      const [r, g, b] = colorOf(scale, v, range.min, range.max)
      px.set([r, g, b, 255], i * 4)
    })
    ctx.putImageData(new ImageData(px, map.cols, map.rows), 0, 0)
  }
  return {
    id,
    visible: false,
    opacity: 0.6,
    draw({ ctx: out, t }) {
      out.imageSmoothingEnabled = false
      out.drawImage(image, t.offsetX, t.offsetY, map.cols * map.patchSize * t.scale, map.rows * map.patchSize * t.scale)
    }
  }
}
