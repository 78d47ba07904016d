// Seeded, stateless-by-position random numbers: every draw is a pure function of (seed, stream, index),
// so the data order, masks and augmentations of step k can be recomputed after a resume without saving RNG state.

/** splitmix32-style integer hash of a 32-bit value. */
function mix32(x: number): number {
  x = (x + 0x9e3779b9) | 0
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b)
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35)
  return (x ^ (x >>> 16)) >>> 0
}

/** Derive a sub-seed from a seed and any number of integer keys (order matters). */
export function deriveSeed(seed: number, ...keys: number[]): number {
  let h = mix32(seed >>> 0)
  for (const k of keys) h = mix32((h ^ mix32(k >>> 0)) >>> 0)
  return h
}

/** Small sequential generator (mulberry32) for draws inside one keyed stream. */
export class Rng {
  private state: number

  constructor(seed: number) {
    this.state = seed >>> 0
  }

  static keyed(seed: number, ...keys: number[]): Rng {
    return new Rng(deriveSeed(seed, ...keys))
  }

  /** uniform in [0, 1) */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0
    let t = this.state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }

  /** integer in [0, n) */
  int(n: number): number {
    return Math.floor(this.next() * n)
  }

  /** standard normal (Box–Muller) */
  normal(): number {
    const u = Math.max(this.next(), 1e-12)
    const v = this.next()
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v)
  }

  /** Fisher–Yates shuffle in place */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1)
      const t = items[i] as T
      items[i] = items[j] as T
      items[j] = t
    }
    return items
  }
}

/** Stream ids, so independent uses of one seed never share draws. */
export const STREAM = {
  init: 1,
  plan: 2,
  mask: 3,
  augment: 4,
  heldOut: 5,
  synthetic: 6,
  probe: 7,
  warmup: 8
} as const
