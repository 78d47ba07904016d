// Smoothed progress rate and ETA from successive progress fractions.

export class RateEstimator {
  private last: { t: number; f: number } | null = null
  private rate: number | null = null

  constructor(private readonly smoothing = 0.3) {}

  update(fraction: number, now = Date.now()): { fractionPerSecond: number | null; etaSeconds: number | null } {
    if (this.last && now > this.last.t && fraction >= this.last.f) {
      const inst = ((fraction - this.last.f) * 1000) / (now - this.last.t)
      this.rate = this.rate === null ? inst : this.smoothing * inst + (1 - this.smoothing) * this.rate
    }
    this.last = { t: now, f: fraction }
    const eta = this.rate && this.rate > 0 ? (1 - fraction) / this.rate : null
    return { fractionPerSecond: this.rate, etaSeconds: eta }
  }
}
