// Decode one TIFF chunk (tile or strip) to interleaved RGB, whatever the compression: JPEG (sharp), Aperio
// JPEG 2000 (wasm OpenJPEG), none, LZW, Deflate. Sizes are checked against the chunk geometry.
import { decodeAperioJ2k } from '../codecs/j2k'
import { completeJpeg, decodeJpeg } from '../codecs/jpeg'
import { checkDeclaredSize, j2kDeclaredSize, jpegDeclaredSize } from '../codecs/declared-size'
import { decodeDeflate, decodeLzw, undoHorizontalPredictor } from '../codecs/lossless'
import type { RandomAccessFile } from '../io/random-access-file'
import { SlideError } from '../slide-source'
import type { DecodedTile } from '../tile-cache'
import type { TiffImage } from './tiff-image'

/**
 * 1 (grey), 2 (grey + alpha), 3 (RGB) or 4 (RGB + extra) samples → opaque RGBA. A 4th TIFF sample is an
 * extra/alpha channel that slide readers ignore (OpenSlide too), so alpha is forced to 255.
 */
export function toRgba(src: Uint8Array, pixels: number, channels: number): Uint8Array {
  const out = new Uint8Array(pixels * 4)
  for (let i = 0, s = 0, d = 0; i < pixels; i++, s += channels, d += 4) {
    if (channels <= 2) out[d] = out[d + 1] = out[d + 2] = src[s]!
    else {
      out[d] = src[s]!
      out[d + 1] = src[s + 1]!
      out[d + 2] = src[s + 2]!
    }
    out[d + 3] = 255
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
        checkDeclaredSize('JPEG', jpegDeclaredSize(jpeg), width, img.chunkHeight, height, what)
        const d = await decodeJpeg(jpeg, true)
        if (d.width !== width || d.height < height) throw new Error(`JPEG is ${d.width}x${d.height}, expected ${width}x${height}`)
        const rgba = d.channels === 4 ? d.data : toRgba(d.data, d.width * d.height, d.channels)
        return { rgba, width: d.width, height: d.height }
      }
      case 33003:
      case 33005: {
        checkDeclaredSize('JPEG 2000', j2kDeclaredSize(bytes), width, img.chunkHeight, height, what)
        const d = await decodeAperioJ2k(bytes, img.compression)
        if (d.width !== width || d.height < height) throw new Error(`JPEG 2000 tile is ${d.width}x${d.height}, expected ${width}x${height}`)
        return { rgba: toRgba(d.data, d.width * d.height, d.channels), width: d.width, height: d.height }
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
        return { rgba: toRgba(samples, pixels, spp), width, height }
      }
      default:
        throw new SlideError(file.path, `${what}: unsupported compression ${img.compression}`, 'unsupported')
    }
  } catch (e) {
    return fail(e)
  }
}
