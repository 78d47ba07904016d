// Seeded pseudo-random numbers and value noise for the synthetic cohort (never Math.random: same seed → same bytes).

/** Deterministic 32-bit generator (mulberry32). Fast, small state; quality is ample for texture synthesis. */
export class Prng {
  private state: number
  private spareGaussian: number | null = null

  constructor(seed: number) {
    this.state = hashInts(seed >>> 0, 0x9e3779b9) >>> 0
  }

  /** Uniform in [0, 1). */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0)
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }

  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next()
  }

  int(lo: number, hiInclusive: number): number {
    return lo + Math.floor(this.next() * (hiInclusive - lo + 1))
  }

  /** Standard normal (Box–Muller, caches the second value). */
  gaussian(): number {
    if (this.spareGaussian !== null) {
      const g = this.spareGaussian
      this.spareGaussian = null
      return g
    }
    const u = Math.max(this.next(), 1e-12)
    const v = this.next()
    const r = Math.sqrt(-2 * Math.log(u))
    this.spareGaussian = r * Math.sin(2 * Math.PI * v)
    return r * Math.cos(2 * Math.PI * v)
  }

  /** Poisson sample (Knuth for small means, rounded normal above 30). */
  poisson(mean: number): number {
    if (mean > 30) return Math.max(0, Math.round(mean + Math.sqrt(mean) * this.gaussian()))
    const limit = Math.exp(-mean)
    let k = 0
    let p = this.next()
    while (p > limit) {
      k++
      p *= this.next()
    }
    return k
  }

  /** In-place Fisher–Yates shuffle. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1))
      const tmp = items[i] as T
      items[i] = items[j] as T
      items[j] = tmp
    }
    return items
  }

  /** A child generator whose stream does not overlap this one's (for per-slide / per-layer streams). */
  fork(tag: number): Prng {
    return new Prng(hashInts(Math.floor(this.next() * 4294967296), tag))
  }
}

/** Integer hash of two 32-bit values (used for lattice noise and seeding). */
export function hashInts(a: number, b: number): number {
  let h = Math.imul(a ^ 0x85ebca6b, 0xcc9e2d51) ^ Math.imul(b ^ 0xc2b2ae35, 0x1b873593)
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b)
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35)
  return (h ^ (h >>> 16)) >>> 0
}

/**
 * 2-D value noise on an integer lattice with smoothstep interpolation, values in [0, 1).
 * Cost: one hash per lattice corner (4 per call); callers evaluate it on coarse grids where they can.
 */
export class ValueNoise {
  constructor(private readonly seed: number) {}

  private lattice(ix: number, iy: number): number {
    return hashInts(hashInts(ix, iy), this.seed) / 4294967296
  }

  at(x: number, y: number): number {
    const ix = Math.floor(x)
    const iy = Math.floor(y)
    const fx = x - ix
    const fy = y - iy
    const sx = fx * fx * (3 - 2 * fx)
    const sy = fy * fy * (3 - 2 * fy)
    const a = this.lattice(ix, iy)
    const b = this.lattice(ix + 1, iy)
    const c = this.lattice(ix, iy + 1)
    const d = this.lattice(ix + 1, iy + 1)
    return a + (b - a) * sx + (c - a) * sy + (a - b - c + d) * sx * sy
  }

  /** Sum of `octaves` octaves, each at double frequency and half amplitude, normalised to [0, 1). */
  fractal(x: number, y: number, octaves: number): number {
    let sum = 0
    let amp = 1
    let norm = 0
    let f = 1
    for (let o = 0; o < octaves; o++) {
      sum += amp * this.at(x * f + o * 17.31, y * f - o * 9.17)
      norm += amp
      amp *= 0.5
      f *= 2
    }
    return sum / norm
  }
}
