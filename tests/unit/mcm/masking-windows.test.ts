// Masks are never full, have the configured size; the epoch plan is seeded and makes each full-window patch a target ~once.
import { describe, expect, it } from 'vitest'
import { McmConfig } from '../../../src-shared/contracts/train'
import { makeMask, maskedCount, trainingMask } from '../../../src-main/ml/mcm/masking'
import { Rng } from '../../../src-main/ml/mcm/rng'
import { SyntheticCohort } from '../../../src-main/ml/mcm/synthetic-cohort'
import { splitSlides, trainingPlan } from '../../../src-main/ml/mcm/windows'

describe('masking', () => {
  it('never masks a whole window and always masks at least one cell when s > 1', () => {
    for (const strategy of ['random', 'block'] as const) {
      for (const s of [2, 3, 4, 6]) {
        for (const ratio of [0.05, 0.25, 0.5, 0.75, 0.95]) {
          for (let seed = 0; seed < 40; seed++) {
            const m = makeMask(s, ratio, strategy, new Rng(seed * 7919 + s))
            const n = m.filter(Boolean).length
            expect(m).toHaveLength(s * s)
            expect(n).toBeGreaterThanOrEqual(1)
            expect(n).toBeLessThanOrEqual(s * s - 1)
            if (strategy === 'random') expect(n).toBe(maskedCount(s, ratio))
          }
        }
      }
    }
  })

  it('s = 1 (no-context KD) masks nothing', () => {
    expect(makeMask(1, 0.5, 'random', new Rng(1))).toEqual([false])
  })

  it('is a pure function of seed and plan position', () => {
    const cfg = McmConfig.parse({ seed: 3, window: { size: 4 } })
    const w = { slide: 'a', col: 0, row: 0, size: 4, cells: Array.from({ length: 16 }, (_, i) => i) }
    expect(trainingMask(cfg, w, 17)).toEqual(trainingMask(cfg, w, 17))
    const other = McmConfig.parse({ seed: 4, window: { size: 4 } })
    const differs = Array.from({ length: 10 }, (_, i) => JSON.stringify(trainingMask(cfg, w, i)) !== JSON.stringify(trainingMask(other, w, i)))
    expect(differs.some(Boolean)).toBe(true)
  })
})

describe('epoch plan', () => {
  // stride = size: the non-overlapping tiling with exact-cover passes
  const cfg = McmConfig.parse({ seed: 5, window: { size: 3, stride: 3 }, mask: { ratio: 0.5 }, data: { source: 'synthetic', synthetic: { slides: 4, cols: 12, rows: 12, holes: 0 } } })
  const source = new SyntheticCohort(cfg.data.synthetic)

  it('overlapping windows (default stride ⌈s/2⌉) put every patch that lies in some full window into a window each epoch', () => {
    const holey = new SyntheticCohort({ ...cfg.data.synthetic, holes: 0.15, seed: 11 })
    for (const size of [3, 4]) {
      const c = McmConfig.parse({ seed: 5, window: { size }, data: { source: 'synthetic', synthetic: { ...cfg.data.synthetic, holes: 0.15, seed: 11 } } })
      const plan = trainingPlan(holey.slides(), c)
      const covered = new Set(plan.flatMap((w) => w.cells.map((x) => `${w.slide}#${x}`)))
      // every patch inside any full window (checked by brute force over all origins)
      const coverable = new Set<string>()
      for (const g of holey.slides()) {
        const at = new Map(g.patches.map((p) => [`${p.col},${p.row}`, p.index]))
        for (let row = 0; row + size <= g.rows; row++) {
          for (let col = 0; col + size <= g.cols; col++) {
            const cells: number[] = []
            for (let r = 0; r < size; r++) for (let q = 0; q < size; q++) cells.push(at.get(`${col + q},${row + r}`) ?? -1)
            if (cells.every((x) => x >= 0)) for (const x of cells) coverable.add(`${g.slide}#${x}`)
          }
        }
      }
      expect(coverable.size).toBeGreaterThan(0)
      expect([...coverable].filter((k) => !covered.has(k))).toEqual([])
      // one visit per window, and windows overlap (stride below the size)
      expect(new Set(plan.map((w) => `${w.slide}@${w.col},${w.row}`)).size).toBe(plan.length)
      expect(plan.some((w) => w.col % size !== plan[0]!.col % size)).toBe(true)
    }
  })

  it('makes every patch inside a full window a masked target exactly once per epoch (random, k divides s²… or ≤ twice)', () => {
    const plan = trainingPlan(source.slides(), cfg)
    const hits = new Map<string, number>()
    plan.forEach((w, pos) => {
      trainingMask(cfg, w, pos).forEach((m, c) => {
        if (m) hits.set(`${w.slide}#${w.cells[c]}`, (hits.get(`${w.slide}#${w.cells[c]}`) ?? 0) + 1)
      })
    })
    const total = source.slides().reduce((a, g) => a + g.patches.length, 0)
    const targets = [...hits.values()].reduce((a, b) => a + b, 0)
    // s = 3, ratio 0.5 → k = 5 masked of 9, 2 visits per window: every cell once, one cell twice
    const covered = new Set(plan.flatMap((w) => w.cells.map((c) => `${w.slide}#${c}`)))
    expect(hits.size).toBe(covered.size)
    for (const n of hits.values()) expect(n === 1 || n === 2).toBe(true)
    // the tiling offset may leave border strips out of full windows: most, not all, patches are covered
    expect(covered.size / total).toBeGreaterThan(0.6)
    console.log(`epoch: ${plan.length} windows, ${targets} masked targets over ${total} patches (${hits.size} distinct)`)
  })

  it('is identical for the same seed and differs for another', () => {
    const a = trainingPlan(source.slides(), cfg).map((w) => `${w.slide}@${w.col},${w.row}`)
    const b = trainingPlan(source.slides(), cfg).map((w) => `${w.slide}@${w.col},${w.row}`)
    const c = trainingPlan(source.slides(), McmConfig.parse({ ...cfg, seed: 6 })).map((w) => `${w.slide}@${w.col},${w.row}`)
    expect(a).toEqual(b)
    expect(a).not.toEqual(c)
  })

  it('holds slides out by name or by fraction, and refuses an empty training set', () => {
    expect(splitSlides(['c', 'a', 'b'], { slides: [], fraction: 0.34, maxWindows: 4 })).toEqual({ train: ['a', 'b'], heldOut: ['c'] })
    expect(splitSlides(['c', 'a', 'b'], { slides: ['a'], fraction: 0.2, maxWindows: 4 }).train).toEqual(['b', 'c'])
    expect(() => splitSlides(['a'], { slides: ['a'], fraction: 0, maxWindows: 4 })).toThrow(/no training slides/)
    expect(() => splitSlides(['a', 'b'], { slides: ['z'], fraction: 0, maxWindows: 4 })).toThrow(/not in the cohort: z/)
    // by patient when every slide's patient is known: no patient on both sides
    const patients = new Map([['a1', 'A'], ['a2', 'A'], ['b1', 'B'], ['c1', 'C'], ['c2', 'C']])
    const names = [...patients.keys()]
    expect(splitSlides(names, { slides: [], fraction: 0.2, maxWindows: 4 }, patients)).toEqual({ train: ['a1', 'a2', 'b1'], heldOut: ['c1', 'c2'] })
    expect(splitSlides(names, { slides: ['a1'], fraction: 0.2, maxWindows: 4 }, patients).heldOut).toEqual(['a1', 'a2'])
    expect(splitSlides(names, { slides: [], by: 'slide', fraction: 0.2, maxWindows: 4 }, patients).heldOut).toEqual(['c2'])
    expect(splitSlides(names, { slides: [], fraction: 0.2, maxWindows: 4 }, null).heldOut).toEqual(['c2'])
  })
})
