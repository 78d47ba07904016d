// Tissue mask from a low-resolution rendering of the slide: HSV saturation, box blur, Otsu threshold (with a floor,
// so blank glass gives an empty mask instead of thresholded noise), then closing and opening. Holes are kept.
import type { SlideSource } from '../slides/slide-source'
import { renderRegion, type RgbImage } from '../tiles/render'
import { boxBlur, close, open, otsuThreshold } from './morphology'

export interface TissueMaskParams {
  method: 'otsu-saturation'
  /** the mask's longer side in pixels (the slide is rendered at max(W,H)/longSide level-0 px per mask px) */
  longSide: number
  /** box-blur radius on saturation, mask px */
  blurRadius: number
  /** lowest accepted threshold on saturation (0–255): Otsu results below it are raised to it */
  minThreshold: number
  /** closing then opening radii, mask px (square structuring element 2r+1) */
  closeRadius: number
  openRadius: number
  version: 1
}

/** The saturation mask every grid was built with before the method became a choice (their keys depend on it). */
export const LEGACY_TISSUE_PARAMS: TissueMaskParams = {
  method: 'otsu-saturation',
  longSide: 2048,
  blurRadius: 2,
  minThreshold: 20,
  closeRadius: 2,
  openRadius: 2,
  version: 1
}

export const DEFAULT_TISSUE_PARAMS: TissueMaskParams = LEGACY_TISSUE_PARAMS

export interface TissueMask {
  width: number
  height: number
  /** level-0 pixels per mask pixel */
  downsample: number
  /** 1 = tissue, row-major */
  data: Uint8Array
  params: TissueMaskParams
  /** the saturation threshold actually applied */
  threshold: number
}

/** HSV saturation scaled to 0–255 of an RGB image. */
export function saturation(img: RgbImage): Uint8Array {
  const n = img.width * img.height
  const s = new Uint8Array(n)
  const d = img.data
  for (let i = 0, j = 0; i < n; i++, j += 3) {
    const r = d[j] as number
    const g = d[j + 1] as number
    const b = d[j + 2] as number
    const max = r > g ? (r > b ? r : b) : g > b ? g : b
    const min = r < g ? (r < b ? r : b) : g < b ? g : b
    s[i] = max === 0 ? 0 : Math.round(((max - min) * 255) / max)
  }
  return s
}

/** Pure part: mask of an already rendered low-resolution image. */
export function maskFromRgb(img: RgbImage, downsample: number, params: TissueMaskParams = DEFAULT_TISSUE_PARAMS): TissueMask {
  const { width: w, height: h } = img
  const sat = boxBlur(saturation(img), w, h, params.blurRadius)
  const threshold = Math.max(otsuThreshold(sat), params.minThreshold)
  let mask: Uint8Array = new Uint8Array(w * h)
  for (let i = 0; i < mask.length; i++) mask[i] = (sat[i] ?? 0) > threshold ? 1 : 0
  mask = open(close(mask, w, h, params.closeRadius), w, h, params.openRadius)
  return { width: w, height: h, downsample, data: mask, params, threshold }
}

/** Render the whole slide at mask resolution (bounded reads, see render.ts) and segment it. */
export async function computeTissueMask(
  source: SlideSource,
  params: TissueMaskParams = DEFAULT_TISSUE_PARAMS,
  signal?: AbortSignal
): Promise<TissueMask> {
  const { width, height } = source.metadata
  const downsample = Math.max(1, Math.max(width, height) / params.longSide)
  const mw = Math.max(1, Math.ceil(width / downsample))
  const mh = Math.max(1, Math.ceil(height / downsample))
  const img = await renderRegion(source, downsample, 0, 0, mw, mh, signal)
  return maskFromRgb(img, downsample, params)
}

/** Fraction of tissue pixels overall (0–1). */
export function tissueFraction(mask: TissueMask): number {
  let n = 0
  for (const v of mask.data) n += v
  return mask.data.length ? n / mask.data.length : 0
}

/** Bit-packed mask bytes for storage (1 bit per pixel, row-major, LSB first). */
export function packMask(data: Uint8Array): Buffer {
  const out = Buffer.alloc(Math.ceil(data.length / 8))
  for (let i = 0; i < data.length; i++) if (data[i]) out[i >> 3] = (out[i >> 3] ?? 0) | (1 << (i & 7))
  return out
}

export function unpackMask(bytes: Uint8Array, count: number): Uint8Array {
  if (bytes.length * 8 < count) throw new Error(`stored tissue mask is ${bytes.length} bytes, expected ${Math.ceil(count / 8)}`)
  const out = new Uint8Array(count)
  for (let i = 0; i < count; i++) out[i] = ((bytes[i >> 3] ?? 0) >> (i & 7)) & 1
  return out
}
