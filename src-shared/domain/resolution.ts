// Plausibility of a slide's level-0 resolution. A generic TIFF often carries a screen default (72 or 96 dpi, i.e.
// 352.8 or 264.6 µm/px) instead of the scanner's; a grid built on it would be meaningless. Anything outside
// 0.05–20 µm/px (beyond any light microscope, or coarser than a slide overview) is "missing or implausible" and
// needs a per-slide override.

export const PLAUSIBLE_MPP = { min: 0.05, max: 20 } as const

export function isPlausibleMpp(mpp: number | null | undefined): boolean {
  return typeof mpp === 'number' && Number.isFinite(mpp) && mpp >= PLAUSIBLE_MPP.min && mpp <= PLAUSIBLE_MPP.max
}

/**
 * Why the file's own resolution cannot be used (null when it can, or when an override is set): says what the file
 * claims and asks for the override.
 */
export function resolutionProblem(mppX: number | null, mppY: number | null, mppOverride: number | null): string | null {
  if (mppOverride !== null && mppOverride > 0) return null
  const mpp = mppX && mppY ? (mppX + mppY) / 2 : (mppX ?? mppY)
  if (mpp === null || mpp === undefined || mpp === 0) return 'resolution missing: the file gives no microns per pixel; set an mpp override'
  if (isPlausibleMpp(mpp)) return null
  return `resolution missing or implausible: the file says ${Number(mpp.toPrecision(5))} µm/px, outside ${PLAUSIBLE_MPP.min}–${PLAUSIBLE_MPP.max} µm/px for histology (a screen-dpi default?); set an mpp override`
}
