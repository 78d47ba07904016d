// Decode one TIFF chunk (tile or strip) to interleaved RGB, whatever the compression: JPEG (sharp), Aperio
// JPEG 2000 (wasm OpenJPEG), none, LZW, Deflate. Sizes are checked against the chunk geometry.
import { decodeAperioJ2k } from '../codecs/j2k'
import { completeJpeg, decodeJpeg } from '../codecs/jpeg'
import { decodeDeflate, decodeLzw, undoHorizontalPredictor } from '../codecs/lossless'
import type { RandomAccessFile } from '../io/random-access-file'
import { SlideError } from '../slide-source'
import type { DecodedTile } from '../tile-cache'
import type { TiffImage } from './tiff-image'

/** Expand 1-, 3- or 4-sample pixels to RGB (4th sample = alpha/extra, dropped). */
function toRgb(src: Uint8Array, pixels: number, channels: number): Uint8Array {
  if (channels === 3) return src
  const out = new Uint8Array(pixels * 3)
  for (let i = 0; i < pixels; i++) {
    if (channels === 1) out[i * 3] = out[i * 3 + 1] = out[i * 3 + 2] = src[i]!
    else {
      out[i * 3] = src[i * channels]!
      out[i * 3 + 1] = src[i * channels + 1]!
      out[i * 3 + 2] = src[i * channels + 2]!
    }
  }
  return out
}

export async function decodeChunk(file: RandomAccessFile, img: TiffImage, index: number): Promise<DecodedTile> {
  const what = `directory ${img.index} ${img.tiled ? 'tile' : 'strip'} ${index}`
  const offset = img.offsets[index]!
  const count = img.byteCounts[index]!
  if (!(count > 0) || !(offset > 0)) throw new SlideError(file.path, `${what} has zero length or offset (missing tile data)`)
  const bytes = await file.read(offset, count, what, 64 * 1024 * 1024)
  const width = img.chunkWidth
  const height = img.tiled ? img.chunkHeight : Math.min(img.chunkHeight, img.height - Math.floor(index) * img.chunkHeight)
  const pixels = width * height
  const fail = (e: unknown): never => {
    if (e instanceof SlideError) throw e
    throw new SlideError(file.path, `${what}: cannot decode (${e instanceof Error ? e.message : String(e)})`)
  }
  try {
    switch (img.compression) {
      case 7: {
        const jpeg = completeJpeg(bytes, img.jpegTables, img.photometric === 2)
        const d = await decodeJpeg(jpeg)
        if (d.width !== width || d.height < height) throw new Error(`JPEG is ${d.width}x${d.height}, expected ${width}x${height}`)
        return { rgb: toRgb(d.data, d.width * d.height, d.channels), width: d.width, height: d.height }
      }
      case 33003:
      case 33005: {
        const d = await decodeAperioJ2k(bytes, img.compression)
        if (d.width !== width || d.height < height) throw new Error(`JPEG 2000 tile is ${d.width}x${d.height}, expected ${width}x${height}`)
        return { rgb: toRgb(d.data, d.width * d.height, d.channels), width: d.width, height: d.height }
      }
      case 1:
      case 5:
      case 8:
      case 32946: {
        const spp = img.samplesPerPixel
        const need = pixels * spp
        const raw = img.compression === 1 ? bytes : img.compression === 5 ? decodeLzw(bytes, need) : decodeDeflate(bytes, need)
        if (raw.length < need) throw new Error(`${raw.length} bytes of pixel data, ${need} expected`)
        const samples = Uint8Array.from(raw.subarray(0, need))
        if (img.predictor === 2) undoHorizontalPredictor(samples, width, height, spp)
        if (img.photometric === 6) throw new Error('uncompressed YCbCr is not supported')
        return { rgb: toRgb(samples, pixels, spp), width, height }
      }
      default:
        throw new SlideError(file.path, `${what}: unsupported compression ${img.compression}`, 'unsupported')
    }
  } catch (e) {
    return fail(e)
  }
}
