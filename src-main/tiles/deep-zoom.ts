// Deep Zoom (DZI) geometry: levels, tile grid, DZI descriptor, and which slide level serves a tile.
// Convention (OpenSeadragon): maxZ = ceil(log2(max(W,H))); level z has downsample 2^(maxZ−z); tiles 256 px, overlap 0.
import type { SlideMetadata } from '../slides/slide-source'

export const DZ_TILE = 256

export interface DzLevel {
  z: number
  /** level-0 pixels per Deep Zoom pixel */
  scale: number
  width: number
  height: number
  cols: number
  rows: number
}

export function maxZoom(width: number, height: number): number {
  return Math.ceil(Math.log2(Math.max(width, height, 1)))
}

export function dzLevels(width: number, height: number): DzLevel[] {
  const maxZ = maxZoom(width, height)
  const levels: DzLevel[] = []
  for (let z = 0; z <= maxZ; z++) {
    const scale = 2 ** (maxZ - z)
    const w = Math.ceil(width / scale)
    const h = Math.ceil(height / scale)
    levels.push({ z, scale, width: w, height: h, cols: Math.ceil(w / DZ_TILE), rows: Math.ceil(h / DZ_TILE) })
  }
  return levels
}

export function dziXml(width: number, height: number): string {
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<Image xmlns="http://schemas.microsoft.com/deepzoom/2008" Format="jpeg" Overlap="0" TileSize="${DZ_TILE}">` +
    `<Size Width="${width}" Height="${height}"/></Image>\n`
  )
}

/**
 * Relative slack when matching a level's downsample to a requested one: scanners report e.g. 4.000385 for a
 * nominal 4× level, and decoding 4× more pixels from the level above for a 0.01 % difference would be wasteful.
 */
export const DOWNSAMPLE_TOLERANCE = 1e-3

/** The slide level with the largest downsample not above `scale` (within the tolerance), so we rarely upsample. */
export function levelForScale(metadata: SlideMetadata, scale: number): number {
  let best = 0
  metadata.levels.forEach((l, i) => {
    const bestDs = metadata.levels[best]?.downsample ?? 1
    if (l.downsample <= scale * (1 + DOWNSAMPLE_TOLERANCE) && l.downsample >= bestDs) best = i
  })
  return best
}

export interface TilePlan {
  z: number
  col: number
  row: number
  /** output size (edge tiles are smaller than 256) */
  width: number
  height: number
  /** slide level the pixels come from */
  level: number
  /** when set, the stored tile (col,row) of `level` is exactly this Deep Zoom tile */
  passThrough: { col: number; row: number } | null
}

/** Plan a Deep Zoom tile; null when (z, col, row) is outside the pyramid. */
export function planTile(metadata: SlideMetadata, z: number, col: number, row: number): TilePlan | null {
  const levels = dzLevels(metadata.width, metadata.height)
  const dz = levels[z]
  if (!dz || !Number.isInteger(col) || !Number.isInteger(row) || col < 0 || row < 0 || col >= dz.cols || row >= dz.rows) return null
  const x0 = col * DZ_TILE
  const y0 = row * DZ_TILE
  const width = Math.min(DZ_TILE, dz.width - x0)
  const height = Math.min(DZ_TILE, dz.height - y0)
  const level = levelForScale(metadata, dz.scale)
  const l = metadata.levels[level]
  let passThrough: TilePlan['passThrough'] = null
  if (l) {
    // The stored pixel grid must coincide with the Deep Zoom grid to within one pixel over the whole level,
    // the stored tiles must be 256², and the tile must be interior (edge tiles are padded in storage).
    const sameGrid = Math.abs(l.width - metadata.width / dz.scale) < 1 && Math.abs(l.height - metadata.height / dz.scale) < 1
    const native = l.tileWidth === DZ_TILE && l.tileHeight === DZ_TILE
    const interior = x0 + DZ_TILE <= l.width && y0 + DZ_TILE <= l.height && width === DZ_TILE && height === DZ_TILE
    if (sameGrid && native && interior) passThrough = { col, row }
  }
  return { z, col, row, width, height, level, passThrough }
}
