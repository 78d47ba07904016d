// Colour scales for overlays: a perceptual sequential map (viridis) for attention/error and a
// diverging map for cosine similarity. Values are mapped to packed RGBA so rasters fill without objects.

/** Viridis control points (t = 0, 0.25, 0.5, 0.75, 1), linearly interpolated; close enough for a legend. */
const VIRIDIS: readonly [number, number, number][] = [
  [68, 1, 84],
  [59, 82, 139],
  [33, 145, 140],
  [94, 201, 98],
  [253, 231, 37]
]

/** Blue (-1) → grey (0) → red (+1), for cosine similarity. */
const DIVERGING: readonly [number, number, number][] = [
  [49, 54, 149],
  [116, 173, 209],
  [224, 224, 224],
  [244, 109, 67],
  [165, 0, 38]
]

export type ColorScaleName = 'viridis' | 'diverging'

function ramp(stops: readonly [number, number, number][], t: number): [number, number, number] {
  const u = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0)) * (stops.length - 1)
  const i = Math.min(stops.length - 2, Math.floor(u))
  const f = u - i
  const a = stops[i] as [number, number, number]
  const b = stops[i + 1] as [number, number, number]
  return [Math.round(a[0] + (b[0] - a[0]) * f), Math.round(a[1] + (b[1] - a[1]) * f), Math.round(a[2] + (b[2] - a[2]) * f)]
}

/** RGB of `value` on a scale spanning [min, max]. */
export function colorOf(scale: ColorScaleName, value: number, min: number, max: number): [number, number, number] {
  const t = max > min ? (value - min) / (max - min) : 0.5
  return ramp(scale === 'viridis' ? VIRIDIS : DIVERGING, t)
}

export function cssColor(rgb: readonly [number, number, number], alpha = 1): string {
  return alpha >= 1 ? `rgb(${rgb[0]},${rgb[1]},${rgb[2]})` : `rgba(${rgb[0]},${rgb[1]},${rgb[2]},${alpha})`
}

/** CSS linear-gradient of a scale, for legends. */
export function gradientCss(scale: ColorScaleName, steps = 8): string {
  const parts: string[] = []
  for (let i = 0; i <= steps; i++) parts.push(cssColor(colorOf(scale, i / steps, 0, 1)))
  return `linear-gradient(to right, ${parts.join(', ')})`
}

/** Finite min/max of nullable values; null when there is none. */
export function rangeOf(values: ArrayLike<number | null>): { min: number; max: number } | null {
  let min = Infinity
  let max = -Infinity
  for (let i = 0; i < values.length; i++) {
    const v = values[i]
    if (v === null || v === undefined || !Number.isFinite(v)) continue
    if (v < min) min = v
    if (v > max) max = v
  }
  return min <= max ? { min, max } : null
}
