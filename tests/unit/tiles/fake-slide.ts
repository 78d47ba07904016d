// In-memory SlideSource for tests: a synthetic "tissue on glass" image with a 2× pyramid, 256-px stored JPEG tiles
// (abbreviated, with shared JPEGTables, as in TIFF) so Deep Zoom pass-through can be checked byte for byte.
import sharp from 'sharp'
import type { RgbaImage, SlideLevel, SlideMetadata, SlideSource } from '../../../src-main/slides/slide-source'
import type { RawJpegTile, RawTileCapable } from '../../../src-main/tiles/raw-tiles'

export interface FakeSlideOptions {
  width: number
  height: number
  levels?: number
  mpp?: number | null
  /** disks of tissue: centre and radius in level-0 px */
  blobs?: { x: number; y: number; r: number }[]
  path?: string
}

/** Split a baseline JPEG into (tables = SOI + DQT/DHT + EOI, abbreviated image = SOI + the rest). */
export function splitJpeg(full: Buffer): { tables: Buffer; tile: Buffer } {
  const tables: Buffer[] = [Buffer.from([0xff, 0xd8])]
  const rest: Buffer[] = [Buffer.from([0xff, 0xd8])]
  let i = 2
  while (i < full.length) {
    const marker = full[i + 1] as number
    if (marker === 0xda) {
      rest.push(full.subarray(i))
      break
    }
    const len = full.readUInt16BE(i + 2)
    const seg = full.subarray(i, i + 2 + len)
    if (marker === 0xdb || marker === 0xc4) tables.push(seg)
    else rest.push(seg)
    i += 2 + len
  }
  tables.push(Buffer.from([0xff, 0xd9]))
  return { tables: Buffer.concat(tables), tile: Buffer.concat(rest) }
}

function synthLevel0(o: FakeSlideOptions): Uint8Array {
  const { width: w, height: h } = o
  const data = new Uint8Array(w * h * 4)
  const blobs = o.blobs ?? [{ x: w * 0.3, y: h * 0.4, r: Math.min(w, h) * 0.2 }]
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = (y * w + x) * 4
      const inside = blobs.some((b) => (x - b.x) ** 2 + (y - b.y) ** 2 <= b.r * b.r)
      const texture = ((x * 7 + y * 13) % 17) - 8
      if (inside) {
        data[i] = 200 + texture
        data[i + 1] = 90 + texture
        data[i + 2] = 170 + texture
      } else {
        data[i] = data[i + 1] = data[i + 2] = 242
      }
      data[i + 3] = 255
    }
  }
  return data
}

export class FakeSlide implements SlideSource, RawTileCapable {
  readonly metadata: SlideMetadata
  readonly path: string
  private readonly pixels: Uint8Array[] = []
  private readonly tiles = new Map<string, RawJpegTile>()
  closed = false
  regionReads = 0

  private constructor(o: FakeSlideOptions, levels: SlideLevel[], pixels: Uint8Array[]) {
    this.path = o.path ?? '/fake/slide.tif'
    this.pixels = pixels
    this.metadata = {
      vendor: 'fake',
      reader: 'fake',
      width: o.width,
      height: o.height,
      levels,
      mppX: o.mpp === undefined ? 0.25 : o.mpp,
      mppY: o.mpp === undefined ? 0.25 : o.mpp,
      objectivePower: 40,
      properties: {},
      associatedImages: []
    }
  }

  static async create(o: FakeSlideOptions): Promise<FakeSlide> {
    const levels: SlideLevel[] = []
    const pixels: Uint8Array[] = []
    let cur = synthLevel0(o)
    let w = o.width
    let h = o.height
    for (let l = 0; l < (o.levels ?? 3); l++) {
      if (l > 0) {
        const nw = Math.floor(w / 2)
        const nh = Math.floor(h / 2)
        const buf = await sharp(cur, { raw: { width: w, height: h, channels: 4 } }).resize(nw, nh, { fit: 'fill' }).raw().toBuffer()
        cur = new Uint8Array(buf)
        w = nw
        h = nh
      }
      levels.push({ width: w, height: h, downsample: 2 ** l, tileWidth: 256, tileHeight: 256 })
      pixels.push(cur)
    }
    return new FakeSlide(o, levels, pixels)
  }

  async readRegion(x: number, y: number, level: number, width: number, height: number): Promise<RgbaImage> {
    this.regionReads++
    const l = this.metadata.levels[level]
    const src = this.pixels[level]
    if (!l || !src) throw new Error(`no level ${level}`)
    const out = new Uint8Array(width * height * 4)
    const lx = Math.floor(x / l.downsample)
    const ly = Math.floor(y / l.downsample)
    for (let j = 0; j < height; j++) {
      const sy = ly + j
      if (sy < 0 || sy >= l.height) continue
      for (let i = 0; i < width; i++) {
        const sx = lx + i
        if (sx < 0 || sx >= l.width) continue
        const s = (sy * l.width + sx) * 4
        out.set(src.subarray(s, s + 4), (j * width + i) * 4)
      }
    }
    return { width, height, data: out }
  }

  /** Stored tiles are made on first use: a 256² crop (edge tiles padded white), JPEG Q90, split into tables + tile. */
  async readRawTile(level: number, col: number, row: number): Promise<RawJpegTile | null> {
    const key = `${level}/${col}/${row}`
    const hit = this.tiles.get(key)
    if (hit) return hit
    const l = this.metadata.levels[level]
    if (!l || col * 256 >= l.width || row * 256 >= l.height) return null
    const rgba = await this.readRegion(col * 256 * l.downsample, row * 256 * l.downsample, level, 256, 256)
    const full = await sharp(rgba.data, { raw: { width: 256, height: 256, channels: 4 } }).flatten({ background: '#ffffff' }).jpeg({ quality: 90 }).toBuffer()
    const { tables, tile } = splitJpeg(full)
    const raw = { bytes: tile, jpegTables: tables }
    this.tiles.set(key, raw)
    return raw
  }

  async readAssociatedImage(name: string): Promise<RgbaImage> {
    throw new Error(`no associated image ${name}`)
  }

  async close(): Promise<void> {
    this.closed = true
  }
}
