// Render any rectangle of a slide at any scale as RGB flattened on white, with bounded reads:
// a region whose source read would exceed MAX_READ_PIXELS is split in halves (recursively) and stitched,
// so thumbnails and low zoom levels of single-level slides never allocate more than ~64 MiB per read.
import sharp from 'sharp'
import type { SlideSource } from '../slides/slide-source'
import { levelForScale } from './deep-zoom'

/** Largest region read in one call (RGBA bytes = 4 × this). */
export const MAX_READ_PIXELS = 4096 * 4096

export interface RgbImage {
  width: number
  height: number
  /** row-major RGB, 3 bytes per pixel */
  data: Buffer
}

function white(width: number, height: number): Buffer {
  return Buffer.alloc(width * height * 3, 255)
}

/** Copy `src` into `dst` at (ox, oy). */
function paste(dst: RgbImage, src: RgbImage, ox: number, oy: number): void {
  const rowBytes = src.width * 3
  for (let y = 0; y < src.height; y++) {
    src.data.copy(dst.data, ((oy + y) * dst.width + ox) * 3, y * rowBytes, (y + 1) * rowBytes)
  }
}

/** RGBA (straight alpha) → RGB on white, resized to (ow, oh) when different. */
export async function rgbaToRgb(rgba: Uint8Array, w: number, h: number, ow = w, oh = h): Promise<Buffer> {
  let p = sharp(rgba, { raw: { width: w, height: h, channels: 4 } })
  if (ow !== w || oh !== h) p = p.resize(ow, oh, { fit: 'fill' })
  return p.flatten({ background: '#ffffff' }).removeAlpha().raw().toBuffer()
}

/**
 * Pixels of the output rectangle [x0, x0+w) × [y0, y0+h) where one output pixel covers `scale` level-0 pixels.
 * Reads from the slide level with the largest downsample ≤ scale, then downsamples. Outside the slide is white.
 */
export async function renderRegion(
  source: SlideSource,
  scale: number,
  x0: number,
  y0: number,
  w: number,
  h: number,
  signal?: AbortSignal,
  maxReadPixels = MAX_READ_PIXELS
): Promise<RgbImage> {
  const md = source.metadata
  const level = levelForScale(md, scale)
  const l = md.levels[level]
  if (!l) throw new Error(`${source.path}: slide has no level ${level}`)
  const f = scale / l.downsample
  const rx = Math.floor(x0 * f)
  const ry = Math.floor(y0 * f)
  const rx1 = Math.min(Math.ceil((x0 + w) * f), l.width)
  const ry1 = Math.min(Math.ceil((y0 + h) * f), l.height)
  const rw = rx1 - rx
  const rh = ry1 - ry
  if (rw <= 0 || rh <= 0) return { width: w, height: h, data: white(w, h) }
  if (rw * rh > maxReadPixels && (w > 1 || h > 1)) {
    const out: RgbImage = { width: w, height: h, data: white(w, h) }
    if (w >= h) {
      const m = Math.floor(w / 2)
      paste(out, await renderRegion(source, scale, x0, y0, m, h, signal, maxReadPixels), 0, 0)
      paste(out, await renderRegion(source, scale, x0 + m, y0, w - m, h, signal, maxReadPixels), m, 0)
    } else {
      const m = Math.floor(h / 2)
      paste(out, await renderRegion(source, scale, x0, y0, w, m, signal, maxReadPixels), 0, 0)
      paste(out, await renderRegion(source, scale, x0, y0 + m, w, h - m, signal, maxReadPixels), 0, m)
    }
    return out
  }
  const rgba = await source.readRegion(Math.round(rx * l.downsample), Math.round(ry * l.downsample), level, rw, rh, signal)
  // When the level ends inside the output (right/bottom edge), only part of the output is covered.
  const clippedX = rx1 < Math.ceil((x0 + w) * f)
  const clippedY = ry1 < Math.ceil((y0 + h) * f)
  const ow = clippedX ? Math.max(1, Math.min(w, Math.round(rw / f))) : w
  const oh = clippedY ? Math.max(1, Math.min(h, Math.round(rh / f))) : h
  const rgb = await rgbaToRgb(rgba.data, rgba.width, rgba.height, ow, oh)
  if (ow === w && oh === h) return { width: w, height: h, data: rgb }
  const out: RgbImage = { width: w, height: h, data: white(w, h) }
  paste(out, { width: ow, height: oh, data: rgb }, 0, 0)
  return out
}

export async function encodeJpeg(img: RgbImage, quality = 80): Promise<Buffer> {
  return sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } }).jpeg({ quality }).toBuffer()
}

export async function encodePng(img: RgbImage): Promise<Buffer> {
  return sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } }).png().toBuffer()
}

/** A region as OpenSlide's read_region addresses it (level-0 x,y; size in level pixels), flattened on white. */
export async function readRegionRgb(
  source: SlideSource,
  x: number,
  y: number,
  level: number,
  width: number,
  height: number,
  signal?: AbortSignal
): Promise<RgbImage> {
  const rgba = await source.readRegion(x, y, level, width, height, signal)
  return { width: rgba.width, height: rgba.height, data: await rgbaToRgb(rgba.data, rgba.width, rgba.height) }
}
