// Scale bar: the longest "nice" length (1, 2, 5 × 10^k µm) that fits a target width on screen.

export interface ScaleBar {
  /** bar length in CSS px */
  px: number
  /** bar length in µm */
  microns: number
  label: string
}

/**
 * @param mpp µm per level-0 pixel (metadata or override)
 * @param scale CSS px per level-0 pixel (ViewTransform.scale)
 * @param maxPx the longest bar allowed on screen
 */
export function scaleBar(mpp: number, scale: number, maxPx = 140): ScaleBar | null {
  if (!(mpp > 0) || !(scale > 0) || !Number.isFinite(mpp * scale)) return null
  const micronsPerPx = mpp / scale
  const maxMicrons = maxPx * micronsPerPx
  const exp = Math.floor(Math.log10(maxMicrons))
  let microns = 10 ** exp
  for (const m of [5, 2, 1]) {
    if (m * 10 ** exp <= maxMicrons) {
      microns = m * 10 ** exp
      break
    }
  }
  return { px: microns / micronsPerPx, microns, label: formatMicrons(microns) }
}

export function formatMicrons(um: number): string {
  if (um >= 1000) return `${+(um / 1000).toPrecision(3)} mm`
  if (um >= 1) return `${+um.toPrecision(3)} µm`
  return `${+(um * 1000).toPrecision(3)} nm`
}
