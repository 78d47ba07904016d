// Synthetic cohort for tests and demos: each slide has a smooth latent field over its grid; patch pixels encode the
// latent (colour + stripe texture + noise) and the "teacher" feature is a fixed non-linear function of it. Neighbouring
// patches are correlated, so context helps predict a masked patch's teacher feature, as in real tissue.
import type { SyntheticDataConfig } from '../../../src-shared/contracts/train'
import type { z } from 'zod'
import { Rng, STREAM, deriveSeed } from './rng'
import type { GridCell, McmDataSource, SlideGridView } from './data-source'

type SyntheticConfig = z.output<typeof SyntheticDataConfig>
const LATENT = 4
const HIDDEN = 12

interface SynthSlide {
  view: SlideGridView
  /** latent per grid cell, LATENT floats per cell, indexed by col + row*cols */
  latent: Float32Array
  cellOfIndex: Map<number, GridCell>
}

export class SyntheticCohort implements McmDataSource {
  readonly patchSize: number
  readonly teacherDim: number
  private readonly slidesByName = new Map<string, SynthSlide>()
  private readonly w1: Float32Array
  private readonly w2: Float32Array
  /** pixel overrides (tests: prove that masked pixels never reach the model) */
  private readonly overrides = new Map<string, Uint8Array>()
  readCount = 0

  constructor(private readonly cfg: SyntheticConfig) {
    this.patchSize = cfg.patchSize
    this.teacherDim = cfg.teacherDim
    const rng = Rng.keyed(cfg.seed, STREAM.synthetic, 0)
    this.w1 = Float32Array.from({ length: HIDDEN * 2 * LATENT }, () => rng.normal() / Math.sqrt(LATENT))
    this.w2 = Float32Array.from({ length: cfg.teacherDim * HIDDEN }, () => rng.normal() / Math.sqrt(HIDDEN))
    for (let s = 0; s < cfg.slides; s++) this.addSlide(s)
  }

  private addSlide(s: number): void {
    const { cols, rows } = this.cfg
    const rng = Rng.keyed(this.cfg.seed, STREAM.synthetic, 1, s)
    const waves = Array.from({ length: LATENT * 2 }, () => ({
      fc: (rng.next() - 0.5) * 1.2,
      fr: (rng.next() - 0.5) * 1.2,
      ph: rng.next() * 2 * Math.PI,
      a: 0.5 + rng.next()
    }))
    const latent = new Float32Array(cols * rows * LATENT)
    const patches: GridCell[] = []
    const cellOfIndex = new Map<number, GridCell>()
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) {
        for (let k = 0; k < LATENT; k++) {
          let v = 0
          for (let j = 0; j < 2; j++) {
            const w = waves[k * 2 + j] as (typeof waves)[number]
            v += w.a * Math.sin(w.fc * c + w.fr * r + w.ph)
          }
          latent[(c + r * cols) * LATENT + k] = v / 2
        }
        if (rng.next() >= this.cfg.holes) {
          const cell = { index: patches.length, col: c, row: r }
          patches.push(cell)
          cellOfIndex.set(cell.index, cell)
        }
      }
    }
    const name = `synthetic-${String(s).padStart(2, '0')}`
    this.slidesByName.set(name, { view: { slide: name, cols, rows, patches }, latent, cellOfIndex })
  }

  private slideAndCell(slide: string, index: number): { sl: SynthSlide; cell: GridCell } {
    const sl = this.slidesByName.get(slide)
    const cell = sl?.cellOfIndex.get(index)
    if (!sl || !cell) throw new Error(`synthetic cohort: no patch ${index} on slide "${slide}"`)
    return { sl, cell }
  }

  private latentOf(sl: SynthSlide, cell: GridCell): Float32Array {
    const o = (cell.col + cell.row * sl.view.cols) * LATENT
    return sl.latent.subarray(o, o + LATENT)
  }

  slides(): SlideGridView[] {
    return [...this.slidesByName.values()].map((s) => s.view)
  }

  async readPatch(slide: string, index: number): Promise<Uint8Array> {
    this.readCount++
    const override = this.overrides.get(`${slide}#${index}`)
    if (override) return override
    const { sl, cell } = this.slideAndCell(slide, index)
    const z = this.latentOf(sl, cell)
    const p = this.patchSize
    const out = new Uint8Array(p * p * 3)
    const noise = Rng.keyed(this.cfg.seed, STREAM.synthetic, 2, deriveSeed(cell.col, cell.row), sl.view.cols)
    const z0 = z[0] ?? 0, z1 = z[1] ?? 0, z2 = z[2] ?? 0, z3 = z[3] ?? 0
    const base = [z0, z1, z0 - z1].map((v) => 1 / (1 + Math.exp(-1.5 * v)))
    const angle = z2 * 1.5
    const freq = 0.5 + 0.35 * Math.tanh(z3)
    for (let y = 0; y < p; y++) {
      for (let x = 0; x < p; x++) {
        const stripe = 0.5 + 0.5 * Math.sin(freq * (x * Math.cos(angle) + y * Math.sin(angle)))
        for (let ch = 0; ch < 3; ch++) {
          const v = 0.65 * (base[ch] ?? 0) + 0.3 * stripe * (ch === 2 ? 1 : 0.5) + 0.08 * (noise.next() - 0.5)
          out[(y * p + x) * 3 + ch] = Math.max(0, Math.min(255, Math.round(v * 255)))
        }
      }
    }
    return out
  }

  teacherFeature(slide: string, index: number): Float32Array {
    const { sl, cell } = this.slideAndCell(slide, index)
    const z = this.latentOf(sl, cell)
    const input = [...z, ...Array.from(z, (v) => v * v - 0.5)]
    const h = new Float32Array(HIDDEN)
    for (let i = 0; i < HIDDEN; i++) {
      let a = 0
      for (let j = 0; j < input.length; j++) a += (this.w1[i * input.length + j] ?? 0) * (input[j] ?? 0)
      h[i] = Math.tanh(a)
    }
    const t = new Float32Array(this.teacherDim)
    for (let i = 0; i < this.teacherDim; i++) {
      let a = 0
      for (let j = 0; j < HIDDEN; j++) a += (this.w2[i * HIDDEN + j] ?? 0) * (h[j] ?? 0)
      t[i] = a
    }
    return t
  }

  /** Test hook: replace one patch's pixels. */
  overridePixels(slide: string, index: number, rgb: Uint8Array): void {
    this.overrides.set(`${slide}#${index}`, rgb)
  }

  describe(): Record<string, unknown> {
    return { source: 'synthetic', ...this.cfg }
  }

  async close(): Promise<void> {}
}
