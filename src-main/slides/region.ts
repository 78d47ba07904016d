// Region assembly shared by tiled readers: level-0 request → level pixel window → copy the overlapping parts of
// decoded tiles into a transparent RGBA buffer. Areas outside the level stay alpha 0 (as OpenSlide).
import type { RgbaImage } from './slide-source'
import { LIMITS, SlideError } from './slide-source'
import type { DecodedTile } from './tile-cache'

export interface TileGrid {
  width: number
  height: number
  tileWidth: number
  tileHeight: number
  /** level-0 px per level px */
  downsample: number
  /** decoded RGB of tile (col, row); tiles are full-size (edge tiles padded) */
  tile(col: number, row: number): Promise<DecodedTile>
}

export function checkRegionArgs(path: string, x: number, y: number, level: number, width: number, height: number, levelCount: number): void {
  if (![x, y, width, height, level].every(Number.isInteger)) throw new SlideError(path, `region ${x},${y} ${width}x${height} @${level}: arguments must be integers`)
  if (level < 0 || level >= levelCount) throw new SlideError(path, `level ${level} does not exist (0..${levelCount - 1})`, 'unsupported')
  if (width < 1 || height < 1) throw new SlideError(path, `region size ${width}x${height} must be positive`)
  if (width * height > LIMITS.maxRegionPixels) {
    throw new SlideError(path, `region ${width}x${height} exceeds the ${LIMITS.maxRegionPixels}-pixel cap per read`, 'too_large')
  }
}

export function throwIfAborted(path: string, signal?: AbortSignal): void {
  if (signal?.aborted) throw new SlideError(path, 'read aborted', 'aborted')
}

/**
 * Read `width × height` pixels of `grid` whose top-left is level-0 (x, y). The level position is
 * floor(x / downsample): identical to OpenSlide when x is a multiple of the downsample (OpenSlide resamples
 * sub-pixel offsets; we don't).
 */
export async function readGridRegion(
  path: string,
  grid: TileGrid,
  x: number,
  y: number,
  width: number,
  height: number,
  signal?: AbortSignal
): Promise<RgbaImage> {
  const out = new Uint8Array(width * height * 4)
  const lx = Math.floor(x / grid.downsample)
  const ly = Math.floor(y / grid.downsample)
  const x0 = Math.max(0, lx)
  const y0 = Math.max(0, ly)
  const x1 = Math.min(grid.width, lx + width)
  const y1 = Math.min(grid.height, ly + height)
  if (x0 >= x1 || y0 >= y1) return { width, height, data: out }
  const c0 = Math.floor(x0 / grid.tileWidth)
  const c1 = Math.floor((x1 - 1) / grid.tileWidth)
  const r0 = Math.floor(y0 / grid.tileHeight)
  const r1 = Math.floor((y1 - 1) / grid.tileHeight)
  const jobs: Promise<void>[] = []
  for (let row = r0; row <= r1; row++) {
    for (let col = c0; col <= c1; col++) {
      jobs.push(
        (async () => {
          throwIfAborted(path, signal)
          const tile = await grid.tile(col, row)
          throwIfAborted(path, signal)
          const tx = col * grid.tileWidth
          const ty = row * grid.tileHeight
          const sx0 = Math.max(x0, tx)
          const sx1 = Math.min(x1, tx + grid.tileWidth, tx + tile.width)
          const sy0 = Math.max(y0, ty)
          const sy1 = Math.min(y1, ty + grid.tileHeight, ty + tile.height)
          const rgba = tile.rgba
          const rowBytes = (sx1 - sx0) * 4
          if (rowBytes <= 0) return
          for (let sy = sy0; sy < sy1; sy++) {
            const s = ((sy - ty) * tile.width + (sx0 - tx)) * 4
            out.set(rgba.subarray(s, s + rowBytes), ((sy - ly) * width + (sx0 - lx)) * 4)
          }
        })()
      )
    }
  }
  // settle all before reporting, so no decode keeps running unobserved after a failure
  const results = await Promise.allSettled(jobs)
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')
  if (failed) throw failed.reason
  return { width, height, data: out }
}
