// The atypia field of a synthetic slide: round regions (lesions or foci) with a plateau and a smooth rim.

/** A round atypical region: full `peak` out to BUMP_PLATEAU·radius, fading to 0 at radius. */
export interface AtypiaBump {
  x: number
  y: number
  radius: number
  peak: number
}

export const BUMP_PLATEAU = 0.55

export function smooth(t: number): number {
  const c = Math.min(1, Math.max(0, t))
  return c * c * (3 - 2 * c)
}

/** Atypia at a level-0 point: the strongest bump covering it (bumps do not add up). Cost: O(bumps). */
export function atypiaAt(bumps: AtypiaBump[], x: number, y: number): number {
  let a = 0
  for (const b of bumps) {
    const t = Math.hypot(x - b.x, y - b.y) / b.radius
    if (t >= 1) continue
    const s = t <= BUMP_PLATEAU ? 1 : 1 - smooth((t - BUMP_PLATEAU) / (1 - BUMP_PLATEAU))
    a = Math.max(a, b.peak * s)
  }
  return a
}
