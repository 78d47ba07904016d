// Aperio JPEG 2000 tile decoding (TIFF compression 33003 YCbCr / 33005 RGB) on the OpenJPEG wasm build from
// @cornerstonejs/codec-openjpeg, run in the worker pool (j2k-pool.ts) so the event loop never blocks.
import { j2kPool } from './j2k-pool'

/** Decode a J2K codestream to interleaved 8-bit RGB (or gray); throws on corrupt input. */
export async function decodeAperioJ2k(
  codestream: Uint8Array,
  compression: number
): Promise<{ data: Uint8Array; width: number; height: number; channels: number }> {
  let raw
  try {
    raw = await j2kPool().decode(codestream, compression === 33003)
  } catch (e) {
    throw new Error(`JPEG 2000 decode failed: ${e instanceof Error ? e.message : String(e)}`)
  }
  const { width, height, channels: componentCount, bits } = raw
  if (bits !== 8) throw new Error(`JPEG 2000 tile has ${bits} bits per sample (8 supported)`)
  return { data: raw.data, width, height, channels: componentCount }
}
