// Aperio JPEG 2000 tile decoding (TIFF compression 33003 YCbCr / 33005 RGB) on the OpenJPEG wasm build from
// @cornerstonejs/codec-openjpeg. One decoder per process (wasm calls are synchronous, so no sharing hazard).
// 33003 → RGB uses full-range BT.601 with Uint8ClampedArray rounding, which matched OpenSlide 3.4.1 exactly.
import { createRequire } from 'node:module'

interface FrameInfo {
  width: number
  height: number
  bitsPerSample: number
  componentCount: number
  isSigned: boolean
}
interface J2kDecoder {
  getEncodedBuffer(length: number): Uint8Array
  decode(): void
  getFrameInfo(): FrameInfo
  getDecodedBuffer(): Uint8Array
}
interface OpenJpegDecodeModule {
  J2KDecoder: new () => J2kDecoder
}

let decoder: Promise<J2kDecoder> | null = null
function getDecoder(): Promise<J2kDecoder> {
  decoder ??= (async () => {
    const factory = createRequire(import.meta.url)('@cornerstonejs/codec-openjpeg/decodewasmjs') as (o: object) => Promise<OpenJpegDecodeModule>
    const oj = await factory({ print() {}, printErr() {} })
    return new oj.J2KDecoder()
  })()
  return decoder
}

/** Decode a J2K codestream to interleaved 8-bit RGB (or gray); throws on corrupt input. */
export async function decodeAperioJ2k(
  codestream: Uint8Array,
  compression: number
): Promise<{ data: Uint8Array; width: number; height: number; channels: number }> {
  const d = await getDecoder()
  d.getEncodedBuffer(codestream.length).set(codestream)
  try {
    d.decode()
  } catch (e) {
    throw new Error(`JPEG 2000 decode failed: ${e instanceof Error ? e.message : String(e)}`)
  }
  const { width, height, componentCount, bitsPerSample } = d.getFrameInfo()
  if (bitsPerSample !== 8) throw new Error(`JPEG 2000 tile has ${bitsPerSample} bits per sample (8 supported)`)
  const decoded = d.getDecodedBuffer()
  if (decoded.length < width * height * componentCount) throw new Error('JPEG 2000 tile has subsampled components (not supported)')
  // copy out of the wasm heap: the next decode reuses that memory
  const out = new Uint8ClampedArray(decoded.subarray(0, width * height * componentCount))
  if (compression === 33003 && componentCount === 3) {
    for (let i = 0; i < out.length; i += 3) {
      const y = out[i]!
      const cb = out[i + 1]! - 128
      const cr = out[i + 2]! - 128
      out[i] = y + 1.402 * cr
      out[i + 1] = y - 0.344136 * cb - 0.714136 * cr
      out[i + 2] = y + 1.772 * cb
    }
  }
  return { data: new Uint8Array(out.buffer, out.byteOffset, out.length), width, height, channels: componentCount }
}
