// One TIFF image (IFD) turned into a validated description: size, tiling or strips, compression, chunk offsets.
// All structural caps are checked here, before any pixel buffer is allocated.
import { LIMITS, SlideError } from '../slide-source'
import type { Ifd, TiffParser } from './tiff-parser'
import { TIFF_TAG } from './tags'

export const T = TIFF_TAG

/** Compressions this reader decodes itself. */
export const SUPPORTED_COMPRESSIONS = new Set([1, 5, 7, 8, 32946, 33003, 33005])

/** Above this many level-0 pixels, a file must be plausibly large (decompression-bomb guard). */
const BOMB_PIXELS = 1e10
/** Cap on chunks (tiles/strips) of one image: 2^24 tiles of 256² is far beyond any real slide. */
const MAX_CHUNKS = 1 << 24

export interface TiffImage {
  ifd: Ifd
  index: number
  width: number
  height: number
  tiled: boolean
  /** tile size, or (width × rowsPerStrip) for strips */
  chunkWidth: number
  chunkHeight: number
  across: number
  down: number
  compression: number
  photometric: number
  samplesPerPixel: number
  predictor: number
  offsets: number[]
  byteCounts: number[]
  jpegTables: Buffer | null
  description: string | null
  software: string | null
  newSubfileType: number
  subIfdOffsets: number[]
  /** µm per pixel from resolution tags (cm or inch units), null when absent/invalid */
  mppX: number | null
  mppY: number | null
}

function mppFrom(res: number | null, unit: number): number | null {
  if (res === null || !Number.isFinite(res) || res <= 0) return null
  if (unit === 3) return 10000 / res
  if (unit === 2) return 25400 / res
  return null
}

/** Read and validate an IFD as an image; `index` is its position for messages/cache keys. */
export async function readTiffImage(p: TiffParser, ifd: Ifd, index: number): Promise<TiffImage> {
  const path = p.file.path
  const where = `directory ${index} (offset ${ifd.offset})`
  const width = await p.number(ifd, T.ImageWidth)
  const height = await p.number(ifd, T.ImageLength)
  if (width === null || height === null) throw new SlideError(path, `${where}: missing ImageWidth/ImageLength`)
  if (!(width >= 1 && height >= 1 && width <= LIMITS.maxDimension && height <= LIMITS.maxDimension)) {
    throw new SlideError(path, `${where}: invalid dimensions ${width}x${height}`, width > LIMITS.maxDimension || height > LIMITS.maxDimension ? 'too_large' : 'corrupt')
  }
  const tileW = await p.number(ifd, T.TileWidth)
  const tileH = await p.number(ifd, T.TileLength)
  const tiled = tileW !== null || tileH !== null
  let chunkWidth: number
  let chunkHeight: number
  if (tiled) {
    if (tileW === null || tileH === null || tileW < 1 || tileH < 1) throw new SlideError(path, `${where}: invalid tile size ${tileW}x${tileH}`)
    if (tileW > LIMITS.maxTileEdge || tileH > LIMITS.maxTileEdge) {
      throw new SlideError(path, `${where}: tile ${tileW}x${tileH} exceeds the ${LIMITS.maxTileEdge}-px cap`, 'too_large')
    }
    chunkWidth = tileW
    chunkHeight = tileH
  } else {
    const rps = (await p.number(ifd, T.RowsPerStrip)) ?? height
    chunkWidth = width
    chunkHeight = Math.max(1, Math.min(rps, height))
  }
  const across = Math.ceil(width / chunkWidth)
  const down = Math.ceil(height / chunkHeight)
  const expected = across * down
  if (expected > MAX_CHUNKS) throw new SlideError(path, `${where}: ${expected} ${tiled ? 'tiles' : 'strips'} exceeds the cap of ${MAX_CHUNKS}`, 'too_large')
  if (width * height > BOMB_PIXELS && width * height > p.file.size * 1e4) {
    throw new SlideError(path, `${where}: declares ${width}x${height} px in a ${p.file.size}-byte file (implausible; decompression bomb?)`, 'too_large')
  }
  const offsets = await p.numbers(ifd, tiled ? T.TileOffsets : T.StripOffsets, MAX_CHUNKS)
  const byteCounts = await p.numbers(ifd, tiled ? T.TileByteCounts : T.StripByteCounts, MAX_CHUNKS)
  if (!offsets || !byteCounts) throw new SlideError(path, `${where}: missing ${tiled ? 'TileOffsets/TileByteCounts' : 'StripOffsets/StripByteCounts'}`)
  const spp = (await p.number(ifd, T.SamplesPerPixel)) ?? 1
  const planar = (await p.number(ifd, T.PlanarConfiguration)) ?? 1
  const perPlane = planar === 2 ? expected * spp : expected
  if (offsets.length < perPlane || byteCounts.length < perPlane) {
    throw new SlideError(path, `${where}: ${offsets.length} chunk offsets / ${byteCounts.length} byte counts for a ${across}x${down} grid`)
  }
  for (let i = 0; i < perPlane; i++) {
    const o = offsets[i]!
    const c = byteCounts[i]!
    if (c > 0 && o + c > p.file.size) {
      throw new SlideError(path, `${where}: ${tiled ? 'tile' : 'strip'} ${i} (${c} bytes at ${o}) lies beyond the end of the file (${p.file.size} bytes; truncated?)`)
    }
  }
  const bits = (await p.numbers(ifd, T.BitsPerSample, 64)) ?? [1]
  const compression = (await p.number(ifd, T.Compression)) ?? 1
  const photometric = (await p.number(ifd, T.Photometric)) ?? (spp >= 3 ? 2 : 1)
  if (bits.some((b) => b !== 8)) throw new SlideError(path, `${where}: ${bits.join(',')} bits per sample (only 8-bit is supported)`, 'unsupported')
  if (spp !== 1 && spp !== 3 && spp !== 4) throw new SlideError(path, `${where}: ${spp} samples per pixel (1, 3 or 4 supported)`, 'unsupported')
  if (planar !== 1) throw new SlideError(path, `${where}: planar configuration ${planar} (only chunky/interleaved supported)`, 'unsupported')
  const unit = (await p.number(ifd, T.ResolutionUnit)) ?? 2
  return {
    ifd,
    index,
    width,
    height,
    tiled,
    chunkWidth,
    chunkHeight,
    across,
    down,
    compression,
    photometric,
    samplesPerPixel: spp,
    predictor: (await p.number(ifd, T.Predictor)) ?? 1,
    offsets,
    byteCounts,
    jpegTables: await p.bytes(ifd, T.JPEGTables, 1 << 20),
    description: await p.string(ifd, T.ImageDescription),
    software: await p.string(ifd, T.Software),
    newSubfileType: (await p.number(ifd, T.NewSubfileType)) ?? 0,
    subIfdOffsets: (await p.numbers(ifd, T.SubIFDs, 256)) ?? [],
    mppX: mppFrom(await p.number(ifd, T.XResolution), unit),
    mppY: mppFrom(await p.number(ifd, T.YResolution), unit)
  }
}
