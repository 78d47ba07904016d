// Pretraining data for the demo student and teacher: patches cut from SEPARATE synthetic slides (never the cohort),
// with two kinds of targets — generic colour/texture statistics (student) and generator ground truth (teacher).
import { drawStainStyle, paintSlide } from '../../cohort/painter'
import { hashInts, Prng } from '../../cohort/prng'
import type { CohortParams } from '../../cohort/recipe'

export interface ProxyPatches {
  patchSize: number
  count: number
  /** count × patch² × 3 RGB bytes */
  pixels: Uint8Array
  /** generic statistics of each patch's pixels (COLOUR_STAT_NAMES), count × names */
  colourStats: Float32Array
  /** generator ground truth per patch (truth.ts channels), count × channels */
  truth: Float32Array
  truthChannels: readonly string[]
}

export const COLOUR_STAT_NAMES = ['mean_r', 'mean_g', 'mean_b', 'std_r', 'std_g', 'std_b', 'gradient', 'dark_fraction', 'pale_fraction'] as const

/** Namespace of pretraining slide seeds: disjoint from the cohort's per-slide seeds (which use 0x51de0000 + i). */
const PRETRAIN_NAMESPACE = 0x9e7a0000

export function pretrainSlideSeed(seed: number, index: number): number {
  return hashInts(seed, PRETRAIN_NAMESPACE + index)
}

/** Generic statistics of one RGB patch: what an extractor pretrained on "natural image" statistics would learn. */
export function colourStats(px: Uint8Array, size: number, out: Float32Array, offset: number): void {
  const n = size * size
  const sum = [0, 0, 0]
  const sq = [0, 0, 0]
  let grad = 0
  let dark = 0
  let pale = 0
  for (let k = 0; k < n; k++) {
    const r = px[k * 3] as number
    const g = px[k * 3 + 1] as number
    const b = px[k * 3 + 2] as number
    sum[0]! += r
    sum[1]! += g
    sum[2]! += b
    sq[0]! += r * r
    sq[1]! += g * g
    sq[2]! += b * b
    const grey = (r + g + b) / 3
    if (grey < 130) dark++
    if (grey > 205) pale++
    if (k % size < size - 1 && k < n - size) {
      const right = ((px[(k + 1) * 3] as number) + (px[(k + 1) * 3 + 1] as number) + (px[(k + 1) * 3 + 2] as number)) / 3
      const down = ((px[(k + size) * 3] as number) + (px[(k + size) * 3 + 1] as number) + (px[(k + size) * 3 + 2] as number)) / 3
      grad += Math.abs(right - grey) + Math.abs(down - grey)
    }
  }
  for (let c = 0; c < 3; c++) {
    const m = (sum[c] as number) / n
    out[offset + c] = m / 255
    out[offset + 3 + c] = Math.sqrt(Math.max(0, (sq[c] as number) / n - m * m)) / 255
  }
  out[offset + 6] = grad / n / 64
  out[offset + 7] = dark / n
  out[offset + 8] = pale / n
}

export interface ProxySampling {
  /** keep at most this many tissue patches per slide (a seeded sample); null = all */
  patchesPerSlide?: number | null
  minTissue?: number
}

/**
 * Paint `slides` pretraining slides (labels alternate, so lesions and foci both occur) and cut the patches with at
 * least `minTissue` tissue (all, or a seeded sample per slide). Every slide draws its own stain style and nuclear
 * baseline, so many small slides teach more invariance than a few large ones. Cost: ~1 s per 1536² slide (~0.25 s at
 * 768²); memory ~12 KB per 64-px patch.
 */
export function buildProxyPatches(p: CohortParams, seed: number, slides: number, sampling: ProxySampling = {}): ProxyPatches {
  const minTissue = sampling.minTissue ?? 0.5
  const perSlide = sampling.patchesPerSlide ?? null
  const ps = p.patchSize
  const chunks: { pixels: Uint8Array; stats: Float32Array; truth: Float32Array; count: number }[] = []
  let channels: readonly string[] = []
  for (let s = 0; s < slides; s++) {
    const slideSeed = pretrainSlideSeed(seed, s)
    const style = drawStainStyle(new Prng(hashInts(slideSeed, 0x57a1)), p)
    const painted = paintSlide(p, slideSeed, (s % 2) as 0 | 1, style)
    const { truth } = painted
    channels = truth.channels
    const k = truth.channels.length
    let keep: number[] = []
    for (let c = 0; c < truth.cols * truth.rows; c++) if ((truth.values[c * k] as number) >= minTissue) keep.push(c)
    if (perSlide !== null && keep.length > perSlide) keep = new Prng(hashInts(slideSeed, 0x5a3b)).shuffle(keep).slice(0, perSlide).sort((a, b) => a - b)
    const pixels = new Uint8Array(keep.length * ps * ps * 3)
    const stats = new Float32Array(keep.length * COLOUR_STAT_NAMES.length)
    const tv = new Float32Array(keep.length * k)
    keep.forEach((cell, i) => {
      const col = cell % truth.cols
      const row = Math.floor(cell / truth.cols)
      for (let y = 0; y < ps; y++) {
        const src = ((row * ps + y) * painted.width + col * ps) * 3
        pixels.set(painted.rgb.subarray(src, src + ps * 3), (i * ps + y) * ps * 3)
      }
      colourStats(pixels.subarray(i * ps * ps * 3, (i + 1) * ps * ps * 3), ps, stats, i * COLOUR_STAT_NAMES.length)
      tv.set(truth.values.subarray(cell * k, (cell + 1) * k), i * k)
    })
    chunks.push({ pixels, stats, truth: tv, count: keep.length })
  }
  const count = chunks.reduce((n, c) => n + c.count, 0)
  const out: ProxyPatches = {
    patchSize: ps,
    count,
    pixels: new Uint8Array(count * ps * ps * 3),
    colourStats: new Float32Array(count * COLOUR_STAT_NAMES.length),
    truth: new Float32Array(count * channels.length),
    truthChannels: channels
  }
  let at = 0
  for (const c of chunks) {
    out.pixels.set(c.pixels, at * ps * ps * 3)
    out.colourStats.set(c.stats, at * COLOUR_STAT_NAMES.length)
    out.truth.set(c.truth, at * channels.length)
    at += c.count
  }
  return out
}
