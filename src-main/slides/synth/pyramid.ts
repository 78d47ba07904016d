// Pyramid building blocks: downsampled levels from one RGB raster, and a tiled TIFF image spec per level
// (JPEG or JPEG 2000 tiles). Used by writeTestSlide and by anyone writing slides from their own raster.
import { downsampleRaster, encodeJ2kTiles, encodeJpegTiles } from './encode'
import type { RgbRaster } from './texture'
import type { TiffImageSpec } from './tiff-writer'
import { writeTiff } from './tiff-writer'

export type TileCompression = 'jpeg' | 'j2k-rgb' | 'j2k-ycc'

/** Levels [level0, level0/step, level0/step², …] until the longest side fits in `minSide` (at least one level). */
export async function buildPyramid(level0: RgbRaster, step: number, minSide: number, maxLevels = 12): Promise<RgbRaster[]> {
  const levels = [level0]
  let factor = step
  while (levels.length < maxLevels && Math.max(levels.at(-1)!.width, levels.at(-1)!.height) > minSide) {
    // each level from level 0 directly: no accumulated resampling error, cost is one sharp resize per level
    levels.push(await downsampleRaster(level0, factor))
    factor *= step
  }
  return levels
}

export interface TiledImageOptions {
  tileSize: number
  compression: TileCompression
  /** JPEG quality (1–100); ignored for JPEG 2000 */
  quality: number
  description?: string
  software?: string
  newSubfileType?: number
  /** µm per pixel at this image's resolution → XResolution/YResolution in pixels per cm */
  mpp?: number
}

/** Encode a raster's tiles and describe it as one TIFF image (IFD). */
export async function tiledImage(raster: RgbRaster, o: TiledImageOptions): Promise<TiffImageSpec> {
  const base = {
    width: raster.width,
    height: raster.height,
    layout: { kind: 'tiles' as const, tileWidth: o.tileSize, tileHeight: o.tileSize },
    ...(o.description !== undefined ? { description: o.description } : {}),
    ...(o.software !== undefined ? { software: o.software } : {}),
    ...(o.newSubfileType !== undefined ? { newSubfileType: o.newSubfileType } : {}),
    ...(o.mpp ? { pixelsPerCm: { x: 10000 / o.mpp, y: 10000 / o.mpp } } : {})
  }
  if (o.compression === 'jpeg') {
    const enc = await encodeJpegTiles(raster, o.tileSize, o.tileSize, o.quality)
    return {
      ...base,
      chunks: enc.tiles,
      compression: 7,
      photometric: 6,
      ycbcrSubsampling: [2, 2],
      ...(enc.jpegTables ? { jpegTables: enc.jpegTables } : {})
    }
  }
  const ycc = o.compression === 'j2k-ycc'
  return { ...base, chunks: await encodeJ2kTiles(raster, o.tileSize, o.tileSize, ycc), compression: ycc ? 33003 : 33005, photometric: 2 }
}

/** Uncompressed RGB stripped image (associated images: label, macro, thumbnail). */
export function strippedImage(raster: RgbRaster, extra: Partial<TiffImageSpec> = {}): TiffImageSpec {
  const rowsPerStrip = Math.max(1, Math.floor(65536 / (raster.width * 3)))
  const strips: Uint8Array[] = []
  for (let y = 0; y < raster.height; y += rowsPerStrip) {
    strips.push(raster.data.subarray(y * raster.width * 3, Math.min(raster.height, y + rowsPerStrip) * raster.width * 3))
  }
  return { width: raster.width, height: raster.height, chunks: strips, layout: { kind: 'strips', rowsPerStrip }, compression: 1, photometric: 2, ...extra }
}

export interface PyramidalTiffOptions {
  path: string
  /** full-resolution RGB raster (or pass `levels` to supply every level yourself) */
  level0?: RgbRaster
  levels?: RgbRaster[]
  /** downsample between levels when built from level0 (default 2) */
  levelStep?: number
  tileSize?: number
  compression?: TileCompression
  quality?: number
  /** µm per pixel at level 0; written as resolution tags (scaled per level) */
  mpp?: number
  /** 'pages': one top-level IFD per level (generic TIFF); 'subifds': reduced levels as SubIFDs of IFD 0 (OME-TIFF) */
  layout?: 'pages' | 'subifds'
  bigtiff?: boolean
  /** ImageDescription of level 0 (and of each level when a function) */
  description?: string | ((level: number, raster: RgbRaster) => string | undefined)
  software?: string
  /** extra top-level images appended after the pyramid (e.g. stripped label/macro via strippedImage) */
  extraImages?: TiffImageSpec[]
}

/**
 * Write a pyramidal tiled TIFF from an RGB raster (or a ready list of levels). Deterministic for the same input.
 * Cost: one sharp resize per level + one encode per tile (~1 ms per 256² JPEG tile, ~10 ms per J2K tile).
 */
export async function writePyramidalTiff(o: PyramidalTiffOptions): Promise<{ levels: { width: number; height: number }[] }> {
  const tileSize = o.tileSize ?? 256
  const levels = o.levels ?? (o.level0 ? await buildPyramid(o.level0, o.levelStep ?? 2, tileSize) : null)
  if (!levels?.length) throw new Error('writePyramidalTiff: give level0 or levels')
  const specs: TiffImageSpec[] = []
  for (let i = 0; i < levels.length; i++) {
    const r = levels[i]!
    const description = typeof o.description === 'function' ? o.description(i, r) : i === 0 ? o.description : undefined
    const downsample = levels[0]!.width / r.width
    specs.push(
      await tiledImage(r, {
        tileSize,
        compression: o.compression ?? 'jpeg',
        quality: o.quality ?? 85,
        ...(description !== undefined ? { description } : {}),
        ...(i === 0 && o.software ? { software: o.software } : {}),
        ...(i > 0 ? { newSubfileType: 1 } : {}),
        ...(o.mpp ? { mpp: o.mpp * downsample } : {})
      })
    )
  }
  const images = o.layout === 'subifds' ? [{ ...specs[0]!, subIfds: specs.slice(1) }] : specs
  writeTiff(o.path, [...images, ...(o.extraImages ?? [])], { bigtiff: o.bigtiff ?? false })
  return { levels: levels.map((l) => ({ width: l.width, height: l.height })) }
}
