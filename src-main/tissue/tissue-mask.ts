// Tissue mask from a low-resolution rendering of the slide: a channel (HSV saturation, darkness = 255 − grey, or
// both), box blur, Otsu threshold (with a floor, so blank glass gives an empty mask instead of thresholded noise) or a
// fixed one, then closing and opening. Holes are kept. Saturation alone drops pale IHC (haematoxylin + DAB is nearly
// grey); darkness alone misses faint eosin; `combined` (either channel above its threshold) keeps both.
import type { SlideSource } from '../slides/slide-source'
import { DEFAULT_TISSUE_METHOD, type TissueMethod } from '../../src-shared/domain/grid'
import { renderRegion, type RgbImage } from '../tiles/render'
import { boxBlur, close, open, otsuThreshold } from './morphology'

export interface TissueMaskParams {
  method: TissueMethod
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
  /** otsu-grey / combined: lowest accepted threshold on darkness (255 − grey; glass ≈ 13); otsu-od: on scaled OD */
  minDarkness?: number
  /** fixed thresholds instead of Otsu (0–255): saturation above it / darkness (otsu-od: scaled OD) above it is tissue */
  saturationThreshold?: number
  darknessThreshold?: number
  /** geojson: SHA-256 of the slide's imported annotation (per slide; set by the grid store) */
  annotation?: string
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

/** Floor on darkness: 20 = grey 235, above glass (≈242 ± noise) and below the palest counterstain we expect (≈200). */
export const MIN_DARKNESS = 20
/** Floor on scaled OD: 4 ≈ grey 235, the same glass margin as MIN_DARKNESS. */
export const MIN_OD = 4

/** Full mask parameters of a method (and optional fixed thresholds); otsu-saturation alone is exactly the legacy set. */
export function tissueParamsFor(choice: { method: TissueMethod; saturationThreshold?: number; darknessThreshold?: number }): TissueMaskParams {
  const p: TissueMaskParams = { ...LEGACY_TISSUE_PARAMS, method: choice.method }
  if (choice.method !== 'otsu-saturation') p.minDarkness = choice.method === 'otsu-od' ? MIN_OD : MIN_DARKNESS
  if (choice.saturationThreshold !== undefined) p.saturationThreshold = choice.saturationThreshold
  if (choice.darknessThreshold !== undefined) p.darknessThreshold = choice.darknessThreshold
  return p
}

/** The default method (combined) keeps H&E and pale IHC tissue; see tests/unit/tissue/tissue-methods.test.ts. */
export { DEFAULT_TISSUE_METHOD }
export const DEFAULT_TISSUE_PARAMS: TissueMaskParams = tissueParamsFor({ method: DEFAULT_TISSUE_METHOD })

export interface TissueMask {
  width: number
  height: number
  /** level-0 pixels per mask pixel */
  downsample: number
  /** 1 = tissue, row-major */
  data: Uint8Array
  params: TissueMaskParams
  /** the threshold actually applied (saturation; darkness for otsu-grey; -1 for an imported annotation) */
  threshold: number
  /** combined: the darkness threshold applied besides `threshold` */
  darknessThreshold?: number
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

/** Darkness 255 − grey (Rec. 601 luma) of an RGB image: pale counterstain is dark enough even when it is grey. */
export function darkness(img: RgbImage): Uint8Array {
  const n = img.width * img.height
  const out = new Uint8Array(n)
  const d = img.data
  for (let i = 0, j = 0; i < n; i++, j += 3) out[i] = 255 - Math.round(0.299 * (d[j] as number) + 0.587 * (d[j + 1] as number) + 0.114 * (d[j + 2] as number))
  return out
}

/** OD 0…log10(256) scaled to 0–255: optical density −log10((c+1)/256), mean of the three channels. */
const OD_SCALE = 255 / Math.log10(256)
const OD_LUT = Uint8Array.from({ length: 256 }, (_, c) => Math.min(255, Math.round(-Math.log10((c + 1) / 256) * OD_SCALE)))
/** Optical density per pixel (scaled, see OD_LUT): stains add up in OD, so it separates faint tissue from glass. */
export function opticalDensity(img: RgbImage): Uint8Array {
  const n = img.width * img.height
  const out = new Uint8Array(n)
  const d = img.data
  for (let i = 0, j = 0; i < n; i++, j += 3) out[i] = Math.round(((OD_LUT[d[j] as number] as number) + (OD_LUT[d[j + 1] as number] as number) + (OD_LUT[d[j + 2] as number] as number)) / 3)
  return out
}

/** Threshold of one channel: the fixed one when given, else Otsu raised to the floor. */
function thresholdOf(channel: Uint8Array, fixed: number | undefined, floor: number): number {
  return fixed !== undefined ? fixed : Math.max(otsuThreshold(channel), floor)
}

/** Pure part: mask of an already rendered low-resolution image. */
export function maskFromRgb(img: RgbImage, downsample: number, params: TissueMaskParams = DEFAULT_TISSUE_PARAMS): TissueMask {
  const { width: w, height: h } = img
  if (params.method === 'geojson') throw new Error('a geojson tissue mask comes from the slide\'s imported annotation, not from pixels')
  const useSat = params.method === 'otsu-saturation' || params.method === 'combined'
  const useDark = params.method !== 'otsu-saturation'
  const od = params.method === 'otsu-od'
  const sat = useSat ? boxBlur(saturation(img), w, h, params.blurRadius) : null
  // otsu-od thresholds optical density in the "dark" slot (darknessThreshold / minDarkness apply to it)
  const dark = useDark ? boxBlur(od ? opticalDensity(img) : darkness(img), w, h, params.blurRadius) : null
  const ts = sat ? thresholdOf(sat, params.saturationThreshold, params.minThreshold) : 256
  const td = dark ? thresholdOf(dark, params.darknessThreshold, params.minDarkness ?? (od ? MIN_OD : MIN_DARKNESS)) : 256
  let mask: Uint8Array = new Uint8Array(w * h)
  for (let i = 0; i < mask.length; i++) mask[i] = (sat && (sat[i] ?? 0) > ts) || (dark && (dark[i] ?? 0) > td) ? 1 : 0
  mask = open(close(mask, w, h, params.closeRadius), w, h, params.openRadius)
  const threshold = sat ? ts : td
  return { width: w, height: h, downsample, data: mask, params, threshold, ...(sat && dark ? { darknessThreshold: td } : {}) }
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
