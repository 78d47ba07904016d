// Tile encoders for synthetic slides: cut an RGB raster into tiles and compress them (JPEG via sharp with shared
// JPEGTables like real Aperio files, JPEG 2000 via the OpenJPEG wasm encoder), plus pyramid downsampling via sharp.
import { createRequire } from 'node:module'
import sharp from 'sharp'
import type { RgbRaster } from './texture'

/** Copy a tile out of a raster; pixels beyond the edge repeat the last row/column (compresses well, clipped on read). */
export function cutTile(raster: RgbRaster, x0: number, y0: number, tw: number, th: number): Uint8Array {
  const out = new Uint8Array(tw * th * 3)
  for (let y = 0; y < th; y++) {
    const sy = Math.min(raster.height - 1, y0 + y)
    const rowStart = sy * raster.width
    const full = Math.min(tw, raster.width - x0)
    out.set(raster.data.subarray((rowStart + x0) * 3, (rowStart + x0 + full) * 3), y * tw * 3)
    for (let x = full; x < tw; x++) out.copyWithin((y * tw + x) * 3, (y * tw + full - 1) * 3, (y * tw + full) * 3)
  }
  return out
}

/** Split a baseline JPEG into (tables segment bytes, the rest without SOI/APPn/DQT/DHT). */
function splitJpeg(jpeg: Uint8Array): { tables: Uint8Array[]; body: Uint8Array[] } {
  const tables: Uint8Array[] = []
  const body: Uint8Array[] = []
  let p = 2
  while (p + 4 <= jpeg.length) {
    if (jpeg[p] !== 0xff) throw new Error('synthetic JPEG: marker expected')
    const marker = jpeg[p + 1]!
    const len = (jpeg[p + 2]! << 8) | jpeg[p + 3]!
    const seg = jpeg.subarray(p, p + 2 + len)
    if (marker === 0xda) {
      body.push(jpeg.subarray(p)) // SOS + entropy data + EOI
      break
    }
    if (marker === 0xdb || marker === 0xc4) tables.push(seg)
    else if (marker < 0xe0 || marker > 0xef) body.push(seg) // drop APPn (JFIF): real SVS tiles carry none
    p += 2 + len
  }
  return { tables, body }
}

const SOI = Uint8Array.of(0xff, 0xd8)
const EOI = Uint8Array.of(0xff, 0xd9)

export interface EncodedTiles {
  tiles: Uint8Array[]
  /** shared DQT/DHT (SOI…EOI) when every tile had the same tables; tiles are then abbreviated streams */
  jpegTables?: Uint8Array
}

/** JPEG-encode every tile (YCbCr 4:2:0, standard Huffman tables so one JPEGTables serves all tiles). */
export async function encodeJpegTiles(raster: RgbRaster, tileW: number, tileH: number, quality: number): Promise<EncodedTiles> {
  const split: { tables: Uint8Array[]; body: Uint8Array[] }[] = []
  for (let ty = 0; ty < raster.height; ty += tileH) {
    for (let tx = 0; tx < raster.width; tx += tileW) {
      const jpeg = await sharp(cutTile(raster, tx, ty, tileW, tileH), { raw: { width: tileW, height: tileH, channels: 3 } })
        .jpeg({ quality, optimiseCoding: false, chromaSubsampling: '4:2:0', progressive: false })
        .toBuffer()
      split.push(splitJpeg(jpeg))
    }
  }
  const first = Buffer.concat(split[0]!.tables)
  const shared = split.every((s) => Buffer.concat(s.tables).equals(first))
  if (shared) {
    return { tiles: split.map((s) => Buffer.concat([SOI, ...s.body])), jpegTables: Buffer.concat([SOI, first, EOI]) }
  }
  return { tiles: split.map((s) => Buffer.concat([SOI, ...s.tables, ...s.body])) }
}

/** A whole image as one JPEG (for stripped associated images). */
export async function encodeJpeg(raster: RgbRaster, quality: number): Promise<Uint8Array> {
  return sharp(raster.data, { raw: { width: raster.width, height: raster.height, channels: 3 } }).jpeg({ quality }).toBuffer()
}

interface J2kEncoder {
  getDecodedBuffer(info: { width: number; height: number; bitsPerSample: number; componentCount: number; isSigned: boolean }): Uint8Array
  setQuality(lossless: boolean, quality: number): void
  setCompressionRatio(layer: number, ratio: number): void
  encode(): void
  getEncodedBuffer(): Uint8Array
  delete(): void
}
interface OpenJpegModule {
  J2KEncoder: new () => J2kEncoder
}
let openjpeg: Promise<OpenJpegModule> | null = null
function loadOpenJpeg(): Promise<OpenJpegModule> {
  // the full (encode+decode) wasm build; ~1 MB, loaded once per process
  const factory = createRequire(import.meta.url)('@cornerstonejs/codec-openjpeg/wasmjs') as (o: object) => Promise<OpenJpegModule>
  openjpeg ??= factory({ print() {}, printErr() {} })
  return openjpeg
}

/** Full-range BT.601 RGB → YCbCr, as Aperio 33003 stores it (OpenSlide converts back on read). */
export function rgbToYcc(rgb: Uint8Array): Uint8Array {
  const out = new Uint8Array(rgb.length)
  for (let i = 0; i < rgb.length; i += 3) {
    const r = rgb[i]!
    const g = rgb[i + 1]!
    const b = rgb[i + 2]!
    out[i] = Math.min(255, Math.max(0, Math.round(0.299 * r + 0.587 * g + 0.114 * b)))
    out[i + 1] = Math.min(255, Math.max(0, Math.round(128 - 0.168736 * r - 0.331264 * g + 0.5 * b)))
    out[i + 2] = Math.min(255, Math.max(0, Math.round(128 + 0.5 * r - 0.418688 * g - 0.081312 * b)))
  }
  return out
}

/** JPEG 2000 codestream per tile (lossy, ~20:1); `ycc` stores YCbCr samples (Aperio 33003) instead of RGB (33005). */
export async function encodeJ2kTiles(raster: RgbRaster, tileW: number, tileH: number, ycc: boolean): Promise<Uint8Array[]> {
  const oj = await loadOpenJpeg()
  const tiles: Uint8Array[] = []
  for (let ty = 0; ty < raster.height; ty += tileH) {
    for (let tx = 0; tx < raster.width; tx += tileW) {
      const rgb = cutTile(raster, tx, ty, tileW, tileH)
      const encoder = new oj.J2KEncoder()
      encoder.getDecodedBuffer({ width: tileW, height: tileH, bitsPerSample: 8, componentCount: 3, isSigned: false }).set(ycc ? rgbToYcc(rgb) : rgb)
      encoder.setQuality(false, 0)
      encoder.setCompressionRatio(0, 20)
      encoder.encode()
      tiles.push(Uint8Array.from(encoder.getEncodedBuffer()))
      encoder.delete() // embind object: free its wasm heap
    }
  }
  return tiles
}

/** Downsample a raster by an integer factor (area average via sharp); output size = ceil(size / factor). */
export async function downsampleRaster(raster: RgbRaster, factor: number): Promise<RgbRaster> {
  const width = Math.max(1, Math.ceil(raster.width / factor))
  const height = Math.max(1, Math.ceil(raster.height / factor))
  const data = await sharp(raster.data, { raw: { width: raster.width, height: raster.height, channels: 3 } })
    .resize(width, height, { fit: 'fill', kernel: 'linear' })
    .raw()
    .toBuffer()
  return { width, height, data }
}
