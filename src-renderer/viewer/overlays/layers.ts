// The viewer's overlay kinds, each drawing from level-0 coordinates on the shared OverlayCanvas:
// patch grid, per-cell value maps (attention, prediction error), tissue polygons, context/masked window.
import type { Overlay, OverlayFrame } from '../overlay-canvas'
import type { ViewTransform } from '../coords'
import { cellRaster, visibleCells, type PatchGrid, type WindowCells } from './grid-geometry'
import { colorOf, type ColorScaleName } from '../colormap'

/** Below this many CSS px per grid step, lines would merge: the grid draws as one occupancy image instead. */
export const GRID_LINE_MIN_PX = 4

/** Draw a cols×rows RGBA raster stretched over the grid's footprint (one drawImage, nearest-neighbour). */
function rasterCanvas(cols: number, rows: number, rgba: Uint8ClampedArray): HTMLCanvasElement {
  const c = document.createElement('canvas')
  c.width = Math.max(1, cols)
  c.height = Math.max(1, rows)
  const ctx = c.getContext('2d')
  if (ctx && cols > 0 && rows > 0) ctx.putImageData(new ImageData(rgba as Uint8ClampedArray<ArrayBuffer>, cols, rows), 0, 0)
  return c
}

function drawRaster(frame: OverlayFrame, grid: PatchGrid, image: HTMLCanvasElement): void {
  const { ctx, t } = frame
  ctx.imageSmoothingEnabled = false
  ctx.drawImage(image, t.offsetX, t.offsetY, grid.cols * grid.step * t.scale, grid.rows * grid.step * t.scale)
}

/** Patch grid: outlines of kept patches when zoomed in (only visible cells), an occupancy image when zoomed out. */
export function gridOverlay(grid: PatchGrid, color: readonly [number, number, number] = [0, 255, 0]): Overlay {
  const occupancy = rasterCanvas(
    grid.cols,
    grid.rows,
    cellRaster(grid.cols, grid.rows, (i) => ((grid.cell[i] ?? -1) >= 0 ? [color[0], color[1], color[2], 90] : null))
  )
  return {
    id: 'grid',
    visible: false,
    opacity: 0.8,
    draw(frame) {
      const { ctx, t } = frame
      if (grid.step * t.scale < GRID_LINE_MIN_PX) return drawRaster(frame, grid, occupancy)
      const range = visibleCells(grid, frame.view)
      if (!range) return
      const size = grid.size * t.scale
      ctx.beginPath()
      for (let r = range.r0; r <= range.r1; r++) {
        for (let c = range.c0; c <= range.c1; c++) {
          if ((grid.cell[r * grid.cols + c] ?? -1) < 0) continue
          // +0.5 puts a 1-px line on a pixel row instead of smearing it over two
          ctx.rect(Math.round(c * grid.step * t.scale + t.offsetX) + 0.5, Math.round(r * grid.step * t.scale + t.offsetY) + 0.5, size, size)
        }
      }
      ctx.lineWidth = 1
      ctx.strokeStyle = `rgb(${color[0]},${color[1]},${color[2]})`
      ctx.stroke()
    }
  }
}

/** Per-cell values (row-major cols×rows, null = no value) drawn as a colour map; rebuild the overlay to change values. */
export function cellMapOverlay(
  id: string,
  grid: PatchGrid,
  values: ArrayLike<number | null>,
  scale: ColorScaleName,
  range: { min: number; max: number }
): Overlay {
  const image = rasterCanvas(
    grid.cols,
    grid.rows,
    cellRaster(grid.cols, grid.rows, (i) => {
      const v = values[i]
      if (v === null || v === undefined || !Number.isFinite(v)) return null
      const [r, g, b] = colorOf(scale, v, range.min, range.max)
      return [r, g, b, 255]
    })
  )
  return { id, visible: false, opacity: 0.5, draw: (frame) => drawRaster(frame, grid, image) }
}

/** GeoJSON geometry subset the tissue overlay understands (level-0 px coordinates). */
export type TissueGeometry =
  | { type: 'Polygon'; coordinates: number[][][] }
  | { type: 'MultiPolygon'; coordinates: number[][][][] }

export interface TissueFeatureCollection {
  type: 'FeatureCollection'
  features: { type: 'Feature'; geometry: TissueGeometry | null }[]
}

/** Tissue polygons: one Path2D in level-0 px, built once, filled through the frame's transform (holes: even-odd). */
export function tissueOverlay(collection: TissueFeatureCollection, color: readonly [number, number, number] = [255, 170, 0]): Overlay {
  const path = new Path2D()
  const ring = (points: number[][]): void => {
    points.forEach((p, i) => (i === 0 ? path.moveTo(p[0] ?? 0, p[1] ?? 0) : path.lineTo(p[0] ?? 0, p[1] ?? 0)))
    path.closePath()
  }
  for (const f of collection.features) {
    const g = f.geometry
    if (!g) continue
    if (g.type === 'Polygon') g.coordinates.forEach(ring)
    else g.coordinates.forEach((poly) => poly.forEach(ring))
  }
  return {
    id: 'tissue',
    visible: false,
    opacity: 0.35,
    draw(frame) {
      const { ctx, t, dpr } = frame
      ctx.setTransform(dpr * t.scale, 0, 0, dpr * t.scale, dpr * t.offsetX, dpr * t.offsetY)
      ctx.fillStyle = `rgb(${color[0]},${color[1]},${color[2]})`
      ctx.fill(path, 'evenodd')
    }
  }
}

/** What the window overlay shows: the hovered context window, optionally with the masked-prediction cells. */
export interface WindowOverlayState {
  window: WindowCells | null
  /** row-major s×s: true = masked; with per-cell cosine (masked cells only) on the diverging scale */
  masked?: { mask: boolean[]; cosine: (number | null)[] } | null
}

function cellBox(t: ViewTransform, grid: PatchGrid, col: number, row: number): [number, number, number, number] {
  return [col * grid.step * t.scale + t.offsetX, row * grid.step * t.scale + t.offsetY, grid.size * t.scale, grid.size * t.scale]
}

/** Context window outline (s×s cells, background cells crossed) and masked-prediction colouring. */
export function windowOverlay(grid: PatchGrid, state: WindowOverlayState): Overlay {
  return {
    id: 'window',
    visible: true,
    opacity: 1,
    draw(frame) {
      const w = state.window
      if (!w) return
      const { ctx, t } = frame
      for (let i = 0; i < w.s * w.s; i++) {
        const col = w.col0 + (i % w.s)
        const row = w.row0 + Math.floor(i / w.s)
        if (col >= grid.cols || row >= grid.rows) continue
        const [x, y, s] = cellBox(t, grid, col, row)
        const masked = state.masked?.mask[i] === true
        if (state.masked && masked) {
          const v = state.masked.cosine[i]
          ctx.fillStyle = v === null || v === undefined ? 'rgba(255,255,255,0.35)' : `rgba(${colorOf('diverging', v, -1, 1).join(',')},0.75)`
          ctx.fillRect(x, y, s, s)
        } else if ((w.cells[i] ?? -1) < 0) {
          ctx.strokeStyle = 'rgba(255,255,255,0.5)'
          ctx.lineWidth = 1
          ctx.beginPath()
          ctx.moveTo(x, y)
          ctx.lineTo(x + s, y + s)
          ctx.stroke()
        }
      }
      const [x, y] = cellBox(t, grid, w.col0, w.row0)
      ctx.lineWidth = 2
      ctx.strokeStyle = 'rgb(0,200,255)'
      ctx.strokeRect(x, y, w.rect.width * t.scale, w.rect.height * t.scale)
    }
  }
}
