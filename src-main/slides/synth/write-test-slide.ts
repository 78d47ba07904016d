// writeTestSlide: realistic synthetic whole-slide files (tissue texture on glass, tiled JPEG / JPEG 2000 pyramids,
// vendor metadata and associated images) in several formats, deterministic from a seed. For tests and the demo.
import sharp from 'sharp'
import { downsampleRaster } from './encode'
import { buildPyramid, strippedImage, tiledImage } from './pyramid'
import type { TileCompression } from './pyramid'
import { generateTissueRaster, seededRandom, type SynthStain } from './texture'
import type { RgbRaster } from './texture'
import type { TiffImageSpec } from './tiff-writer'
import { writeTiff } from './tiff-writer'
import { philipsXml, omeXml } from './vendor-xml'
import { writeDicomSeries } from './dicom-series'

export const SYNTH_FORMATS = ['generic-tiff', 'bigtiff', 'svs', 'svs-j2k-rgb', 'svs-j2k-ycc', 'ome-tiff', 'philips', 'dicom', 'dicom-sparse'] as const
export type SynthFormat = (typeof SYNTH_FORMATS)[number]

export interface TestSlideOptions {
  /** output file; for 'dicom' / 'dicom-sparse' a folder (created) holding one .dcm per level + label */
  path: string
  format: SynthFormat
  width: number
  height: number
  seed: number
  tileSize?: number
  /** µm per pixel at level 0 (default 0.499) */
  mpp?: number
  /** JPEG quality (default 85) */
  quality?: number
  /** stain look of the tissue (default 'he'; 'ihc' = pale haematoxylin + DAB) */
  stain?: SynthStain
}

export interface TestSlideInfo {
  path: string
  format: SynthFormat
  levels: { width: number; height: number; downsample: number }[]
  mpp: number
  associatedImages: string[]
  /** the level-0 raster the tiles were encoded from (for comparisons in tests) */
  level0: RgbRaster
}

const APERIO_LIB = 'Aperio Image Library v12.0.15'

/** A fake slide label: white card with barcode bars and a coloured stripe, deterministic from the seed. */
function labelRaster(seed: number): RgbRaster {
  const size = 300
  const data = new Uint8Array(size * size * 3).fill(255)
  const rand = seededRandom(seed ^ 0x5a5a)
  for (let x = 30; x < 270; ) {
    const w = 2 + Math.floor(rand() * 5)
    for (let y = 40; y < 150; y++) for (let i = x; i < Math.min(270, x + w); i++) data.fill(0, (y * size + i) * 3, (y * size + i) * 3 + 3)
    x += w + 2 + Math.floor(rand() * 4)
  }
  for (let y = 200; y < 230; y++) for (let x = 30; x < 270; x++) data.set([30, 60, 160], (y * size + x) * 3)
  return { width: size, height: size, data }
}

async function fitInto(raster: RgbRaster, maxW: number, maxH: number): Promise<RgbRaster> {
  const { data, info } = await sharp(raster.data, { raw: { width: raster.width, height: raster.height, channels: 3 } })
    .resize(maxW, maxH, { fit: 'inside' })
    .raw()
    .toBuffer({ resolveWithObject: true })
  return { width: info.width, height: info.height, data }
}

/** Macro: the whole slide small, centred on a wider glass-grey canvas (as a slide overview photo). */
async function macroRaster(level0: RgbRaster): Promise<RgbRaster> {
  const small = await fitInto(level0, 400, 200)
  const width = 600
  const height = 200
  const data = new Uint8Array(width * height * 3).fill(225)
  const ox = 600 - small.width - 20
  const oy = Math.floor((height - small.height) / 2)
  for (let y = 0; y < small.height; y++) data.set(small.data.subarray(y * small.width * 3, (y + 1) * small.width * 3), ((oy + y) * width + ox) * 3)
  return { width, height, data }
}

/** Pad a raster with white to whole tiles (Philips-style padded levels). */
function padToTiles(r: RgbRaster, tile: number): RgbRaster {
  const width = Math.ceil(r.width / tile) * tile
  const height = Math.ceil(r.height / tile) * tile
  if (width === r.width && height === r.height) return r
  const data = new Uint8Array(width * height * 3).fill(255)
  for (let y = 0; y < r.height; y++) data.set(r.data.subarray(y * r.width * 3, (y + 1) * r.width * 3), y * width * 3)
  return { width, height, data }
}

function compressionOf(format: SynthFormat): TileCompression {
  return format === 'svs-j2k-rgb' ? 'j2k-rgb' : format === 'svs-j2k-ycc' ? 'j2k-ycc' : 'jpeg'
}

async function aperioImages(o: Required<Omit<TestSlideOptions, 'path'>>, levels: RgbRaster[]): Promise<{ images: TiffImageSpec[]; associated: string[] }> {
  const { width: W, height: H, tileSize: ts, mpp } = o
  const compression = compressionOf(o.format)
  const codec = compression === 'jpeg' ? `JPEG/RGB Q=${o.quality}` : compression === 'j2k-rgb' ? 'J2K/KDU Q=70' : 'J2K/YUV16 Q=70'
  const common = `|AppMag = 20|StripeWidth = 2040|ScanScope ID = SYNTH01|Filename = synthetic-${o.seed}|Date = 01/01/26|Time = 12:00:00|MPP = ${mpp.toFixed(4)}|Left = 0.0|Top = 0.0|Title = synthetic test slide`
  const images: TiffImageSpec[] = []
  const thumb = await fitInto(levels[0]!, 512, 512)
  for (let i = 0; i < levels.length; i++) {
    const l = levels[i]!
    const description =
      i === 0
        ? `${APERIO_LIB} \r\n${W}x${H} [0,0 ${W}x${H}] (${ts}x${ts}) ${codec}${common}`
        : `${APERIO_LIB} \r\n${W}x${H} [0,0 ${W}x${H}] (${ts}x${ts}) -> ${l.width}x${l.height} ${codec}${common}`
    images.push(await tiledImage(l, { tileSize: ts, compression, quality: o.quality, description }))
    if (i === 0) images.push(strippedImage(thumb, { description: `${APERIO_LIB} \r\n${W}x${H} -> ${thumb.width}x${thumb.height} - ${common}` }))
  }
  // "\n" (not "\r\n") before label/macro: OpenSlide 3.4.1 takes the associated image name from the second line
  const label = labelRaster(o.seed)
  const macro = await macroRaster(levels[0]!)
  images.push(strippedImage(label, { newSubfileType: 1, description: `${APERIO_LIB}\nlabel ${label.width}x${label.height}` }))
  images.push(strippedImage(macro, { newSubfileType: 9, description: `${APERIO_LIB}\nmacro ${macro.width}x${macro.height}` }))
  return { images, associated: ['label', 'macro', 'thumbnail'] }
}

/**
 * Write a synthetic slide. 4096² takes a couple of seconds for JPEG formats (texture ≈ 0.5 s, ~350 tiles),
 * longer for JPEG 2000 (~10 ms per tile). Same options → byte-identical file.
 */
export async function writeTestSlide(options: TestSlideOptions): Promise<TestSlideInfo> {
  const o = { tileSize: 256, mpp: 0.499, quality: 85, stain: 'he' as SynthStain, ...options }
  if (!(o.width >= 16 && o.height >= 16)) throw new Error(`writeTestSlide: ${o.width}x${o.height} is too small (min 16)`)
  const level0 = generateTissueRaster(o.width, o.height, o.seed, o.stain)
  const aperio = o.format.startsWith('svs')
  const levels = await buildPyramid(level0, aperio ? 4 : 2, o.tileSize)
  let images: TiffImageSpec[] | undefined
  let associated: string[] = []
  const tiled = (r: RgbRaster, i: number, extra: { description?: string; software?: string; mpp?: number } = {}): Promise<TiffImageSpec> =>
    tiledImage(r, { tileSize: o.tileSize, compression: 'jpeg', quality: o.quality, ...(i > 0 ? { newSubfileType: 1 } : {}), ...extra })
  switch (o.format) {
    case 'svs':
    case 'svs-j2k-rgb':
    case 'svs-j2k-ycc': {
      const r = await aperioImages(o, levels)
      images = r.images
      associated = r.associated
      break
    }
    case 'generic-tiff':
    case 'bigtiff':
      images = await Promise.all(levels.map((l, i) => tiled(l, i, { mpp: (o.mpp * level0.width) / l.width })))
      break
    case 'ome-tiff': {
      const specs = await Promise.all(levels.map((l, i) => tiled(l, i)))
      images = [{ ...specs[0]!, description: omeXml(o.width, o.height, o.mpp), subIfds: specs.slice(1) }]
      break
    }
    case 'philips': {
      const label = labelRaster(o.seed)
      const labelJpeg = await sharp(label.data, { raw: { width: label.width, height: label.height, channels: 3 } }).jpeg({ quality: 90 }).toBuffer()
      const xml = philipsXml(o.mpp, levels.length, labelJpeg)
      // like real Philips files, every level is padded to whole tiles (true size only via per-level spacing)
      images = await Promise.all(levels.map((l, i) => tiled(padToTiles(l, o.tileSize), i, i === 0 ? { description: xml, software: 'Philips DP v1.0' } : {})))
      associated = ['label']
      break
    }
    case 'dicom':
    case 'dicom-sparse':
      break
  }
  if (o.format === 'dicom' || o.format === 'dicom-sparse') {
    associated = await writeDicomSeries(o.path, levels, labelRaster(o.seed), { tileSize: o.tileSize, quality: o.quality, mpp: o.mpp, seed: o.seed, sparse: o.format === 'dicom-sparse' })
  } else writeTiff(o.path, images!, { bigtiff: o.format === 'bigtiff' })
  return {
    path: o.path,
    format: o.format,
    levels:
      o.format === 'philips'
        ? // padded files: level size = padded level 0 / 2^i, as Philips readers (and OpenSlide) report it
          levels.map((_, i) => {
            const w0 = Math.ceil(o.width / o.tileSize) * o.tileSize
            const h0 = Math.ceil(o.height / o.tileSize) * o.tileSize
            return { width: Math.ceil(w0 / 2 ** i), height: Math.ceil(h0 / 2 ** i), downsample: 2 ** i }
          })
        : levels.map((l) => ({ width: l.width, height: l.height, downsample: (level0.width / l.width + level0.height / l.height) / 2 })),
    mpp: o.mpp,
    associatedImages: associated,
    level0
  }
}

export { downsampleRaster }
