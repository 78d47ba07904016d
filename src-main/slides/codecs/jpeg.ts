// JPEG tile decoding with sharp (libjpeg-turbo): splices TIFF JPEGTables into abbreviated tile streams and marks
// RGB-photometric tiles with an Adobe APP14 (transform 0) so libjpeg does not apply a YCbCr conversion.
import sharp from 'sharp'

const SOI = Buffer.from([0xff, 0xd8])

/** Adobe APP14 segment with transform = 0 (components are RGB, no colour transform). */
const ADOBE_RGB = Buffer.from([0xff, 0xee, 0x00, 0x0e, 0x41, 0x64, 0x6f, 0x62, 0x65, 0x00, 0x64, 0x00, 0x00, 0x00, 0x00, 0x00])

function hasAdobeMarker(jpeg: Uint8Array): boolean {
  let p = 2
  while (p + 4 <= jpeg.length && jpeg[p] === 0xff) {
    const m = jpeg[p + 1]!
    if (m === 0xda || m === 0xd9) return false
    if (m === 0xee) return true
    p += 2 + ((jpeg[p + 2]! << 8) | jpeg[p + 3]!)
  }
  return false
}

/**
 * Build a complete JPEG stream from a TIFF tile: tables (without EOI) + tile (without SOI), as libtiff does.
 * When `rgb` (Photometric = RGB), add an Adobe marker so the decoder keeps the components as RGB.
 */
export function completeJpeg(tile: Uint8Array, tables: Uint8Array | null, rgb: boolean): Buffer {
  const parts: Uint8Array[] = []
  const body = tile[0] === 0xff && tile[1] === 0xd8 ? tile.subarray(2) : tile
  parts.push(SOI)
  if (rgb && !hasAdobeMarker(tile)) parts.push(ADOBE_RGB)
  if (tables && tables.length > 4) {
    const t = tables[0] === 0xff && tables[1] === 0xd8 ? tables.subarray(2) : tables
    parts.push(t.at(-2) === 0xff && t.at(-1) === 0xd9 ? t.subarray(0, t.length - 2) : t)
  }
  parts.push(body)
  return Buffer.concat(parts)
}

/**
 * Decode to interleaved 8-bit samples; with `alpha`, libvips appends an opaque alpha band (RGBA for colour
 * JPEGs, grey+alpha for grey ones). Returns the band count sharp produced.
 */
export async function decodeJpeg(jpeg: Buffer, alpha = false): Promise<{ data: Buffer; width: number; height: number; channels: number }> {
  // sequentialRead: tiles are decoded once, top to bottom; failOn 'error' turns broken streams into exceptions
  let pipeline = sharp(jpeg, { failOn: 'error', sequentialRead: true, limitInputPixels: 16384 * 16384 })
  if (alpha) pipeline = pipeline.ensureAlpha(1)
  const { data, info } = await pipeline
    .raw()
    .toBuffer({ resolveWithObject: true })
  return { data, width: info.width, height: info.height, channels: info.channels }
}
