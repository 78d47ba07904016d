// SlideSource for TIFF-based slides read from npm packages only (Aperio SVS JPEG/J2K, generic/BigTIFF,
// OME-TIFF, Philips). Tiles are decoded on demand into the shared byte-bounded tile cache.
import sharp from 'sharp'
import { RandomAccessFile } from '../io/random-access-file'
import { checkRegionArgs, readGridRegion, throwIfAborted } from '../region'
import type { TileGrid } from '../region'
import type { RgbaImage, SlideMetadata, SlideSource } from '../slide-source'
import { LIMITS, SlideError } from '../slide-source'
import { sharedTileCache } from '../tile-cache'
import type { TileCache } from '../tile-cache'
import { checkDeclaredSize, jpegDeclaredSize } from '../codecs/declared-size'
import { completeJpeg } from '../codecs/jpeg'
import { decodeChunk } from './chunk-decoder'
import { readTiffImage, SUPPORTED_COMPRESSIONS } from './tiff-image'
import type { TiffImage } from './tiff-image'
import { MAX_IFDS, TiffParser } from './tiff-parser'
import type { AssociatedSource, TiffLayout } from './vendors'
import { classifyTiff } from './vendors'

let nextSlideId = 1

function rgbToRgba(rgb: Uint8Array, width: number, height: number): RgbaImage {
  const data = new Uint8Array(width * height * 4)
  for (let i = 0, j = 0; i < width * height; i++, j += 3) {
    data[i * 4] = rgb[j]!
    data[i * 4 + 1] = rgb[j + 1]!
    data[i * 4 + 2] = rgb[j + 2]!
    data[i * 4 + 3] = 255
  }
  return { width, height, data }
}

export class TiffSlide implements SlideSource {
  private readonly grids: TileGrid[]
  private readonly cachePrefix = `tiff${nextSlideId++}:`
  private closed = false

  private constructor(
    readonly path: string,
    readonly metadata: SlideMetadata,
    private readonly file: RandomAccessFile,
    private readonly layout: TiffLayout,
    private readonly cache: TileCache
  ) {
    this.grids = layout.levels.map((img, i) => ({
      width: metadata.levels[i]!.width,
      height: metadata.levels[i]!.height,
      tileWidth: img.chunkWidth,
      tileHeight: img.chunkHeight,
      downsample: metadata.levels[i]!.downsample,
      tile: (col, row) => this.tile(img, row * img.across + col)
    }))
  }

  /** Parse a TIFF-family file; throws SlideError for anything not readable by this reader. */
  static async open(path: string, options: { cache?: TileCache } = {}): Promise<TiffSlide> {
    const file = await RandomAccessFile.open(path)
    try {
      const parser = await TiffParser.open(file)
      const chain = await parser.readChain()
      const images: TiffImage[] = []
      for (let i = 0; i < chain.length; i++) images.push(await readTiffImage(parser, chain[i]!, i))
      let subIndex = MAX_IFDS
      const seen = new Set(chain.map((c) => c.offset))
      const loadSubIfds = async (img: TiffImage): Promise<TiffImage[]> => {
        const out: TiffImage[] = []
        for (const off of img.subIfdOffsets) {
          if (seen.has(off)) throw new SlideError(path, `SubIFD at ${off} is referenced twice (IFD loop)`)
          seen.add(off)
          out.push(await readTiffImage(parser, await parser.readIfd(off), subIndex++))
        }
        return out
      }
      const layout = await classifyTiff(path, images, loadSubIfds)
      for (const l of layout.levels) {
        if (!SUPPORTED_COMPRESSIONS.has(l.compression)) {
          throw new SlideError(path, `level ${l.width}x${l.height} uses TIFF compression ${l.compression}, which this reader does not decode`, 'unsupported')
        }
      }
      return new TiffSlide(path, TiffSlide.metadataOf(parser, layout), file, layout, options.cache ?? sharedTileCache)
    } catch (e) {
      await file.close()
      throw e
    }
  }

  private static metadataOf(parser: TiffParser, layout: TiffLayout): SlideMetadata {
    const l0 = layout.levels[0]!
    // OpenSlide's downsample: mean of the width and height ratios
    // vendor downsamples (Philips): levels are padded to whole tiles; the true size is level 0 / downsample
    // (what OpenSlide reports), never more than the stored size
    const ds = (i: number): number | undefined => layout.downsamples?.[i]
    const levels = layout.levels.map((img, i) => ({
      width: ds(i) ? Math.min(img.width, Math.ceil(l0.width / ds(i)!)) : img.width,
      height: ds(i) ? Math.min(img.height, Math.ceil(l0.height / ds(i)!)) : img.height,
      downsample: ds(i) ?? (l0.width / img.width + l0.height / img.height) / 2,
      tileWidth: img.chunkWidth,
      tileHeight: img.chunkHeight
    }))
    const props: Record<string, string> = { ...layout.properties }
    props['openslide.vendor'] = layout.vendor
    props['openslide.level-count'] = String(levels.length)
    levels.forEach((l, i) => {
      props[`openslide.level[${i}].width`] = String(l.width)
      props[`openslide.level[${i}].height`] = String(l.height)
      props[`openslide.level[${i}].downsample`] = String(l.downsample)
      props[`openslide.level[${i}].tile-width`] = String(l.tileWidth)
      props[`openslide.level[${i}].tile-height`] = String(l.tileHeight)
    })
    if (layout.mppX !== null) props['openslide.mpp-x'] = String(layout.mppX)
    if (layout.mppY !== null) props['openslide.mpp-y'] = String(layout.mppY)
    if (layout.objectivePower !== null) props['openslide.objective-power'] = String(layout.objectivePower)
    if (l0.description !== null && l0.description.length < 65536) props['tiff.ImageDescription'] = l0.description
    if (l0.software !== null) props['tiff.Software'] = l0.software
    props['tessera.tiff.bigtiff'] = String(parser.bigTiff)
    return {
      vendor: layout.vendor,
      reader: 'tiff',
      width: l0.width,
      height: l0.height,
      levels,
      mppX: layout.mppX,
      mppY: layout.mppY,
      objectivePower: layout.objectivePower,
      properties: props,
      associatedImages: [...layout.associated.keys()].sort()
    }
  }

  private tile(img: TiffImage, index: number): ReturnType<TileGrid['tile']> {
    if (this.closed) throw new SlideError(this.path, 'slide is closed')
    return this.cache.get(`${this.cachePrefix}${img.index}:${index}`, () => decodeChunk(this.file, img, index))
  }

  async readRegion(x: number, y: number, level: number, width: number, height: number, signal?: AbortSignal): Promise<RgbaImage> {
    checkRegionArgs(this.path, x, y, level, width, height, this.grids.length)
    throwIfAborted(this.path, signal)
    return readGridRegion(this.path, this.grids[level]!, x, y, width, height, signal)
  }

  /** Stored tile bytes (JPEG completed with JPEGTables) for pass-through serving; null when not JPEG. */
  async rawJpegTile(level: number, col: number, row: number): Promise<Buffer | null> {
    const img = this.layout.levels[level]
    if (!img || img.compression !== 7 || col < 0 || row < 0 || col >= img.across || row >= img.down) return null
    const i = row * img.across + col
    const what = `level ${level} tile ${i}`
    const bytes = await this.file.read(img.offsets[i]!, img.byteCounts[i]!, what)
    const jpeg = completeJpeg(bytes, img.jpegTables, img.photometric === 2)
    // handed to the viewer undecoded: its declared size is checked as a decoded tile's would be
    try {
      checkDeclaredSize('JPEG', jpegDeclaredSize(jpeg), img.chunkWidth, img.chunkHeight, img.chunkHeight, what)
    } catch (e) {
      throw new SlideError(this.path, (e as Error).message)
    }
    return jpeg
  }

  async readAssociatedImage(name: string): Promise<RgbaImage> {
    const src: AssociatedSource | undefined = this.layout.associated.get(name)
    if (!src) throw new SlideError(this.path, `no associated image "${name}" (have: ${this.metadata.associatedImages.join(', ') || 'none'})`, 'not_found')
    if (src.kind === 'jpeg') {
      const { data, info } = await sharp(src.bytes, { failOn: 'error' }).removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true })
      return rgbToRgba(data, info.width, info.height)
    }
    const img = src.image
    if (img.width * img.height > LIMITS.maxRegionPixels) throw new SlideError(this.path, `associated image ${name} is ${img.width}x${img.height}: too large`, 'too_large')
    const data = new Uint8Array(img.width * img.height * 4)
    for (let r = 0; r < img.down; r++) {
      for (let c = 0; c < img.across; c++) {
        const chunk = await decodeChunk(this.file, img, r * img.across + c)
        const rows = Math.min(img.chunkHeight, img.height - r * img.chunkHeight, chunk.height)
        const cols = Math.min(img.chunkWidth, img.width - c * img.chunkWidth)
        for (let y = 0; y < rows; y++) {
          const src0 = y * chunk.width * 4
          data.set(chunk.rgba.subarray(src0, src0 + cols * 4), ((r * img.chunkHeight + y) * img.width + c * img.chunkWidth) * 4)
        }
      }
    }
    return { width: img.width, height: img.height, data }
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    this.cache.evictPrefix(this.cachePrefix)
    await this.file.close()
  }
}
