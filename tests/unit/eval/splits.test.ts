// Patient-level stratified splits: no patient leaks across folds, classes spread, seeded, CSV folds honoured.
import { describe, expect, it } from 'vitest'
import { makeSplits, type SplitItem } from '../../../src-main/eval/splits'

function cohort(): SplitItem[] {
  // 30 patients, 2 slides each for the first 10; class 1 for every third patient.
  const items: SplitItem[] = []
  let id = 1
  for (let p = 0; p < 30; p++) {
    const slides = p < 10 ? 2 : 1
    for (let s = 0; s < slides; s++) items.push({ slideId: id++, label: p % 3 === 0 ? 1 : 0, patientId: `P${p}` })
  }
  return items
}

describe('makeSplits', () => {
  it('keeps each patient in one test fold, covers every slide once, and never tests on training slides', () => {
    const items = cohort()
    const s = makeSplits(items, { k: 5, seed: 42 })
    expect(s.folds).toHaveLength(5)
    const tested = s.folds.flatMap((f) => f.test).sort((a, b) => a - b)
    expect(tested).toEqual(items.map((i) => i.slideId))
    const patientOf = new Map(items.map((i) => [i.slideId, i.patientId]))
    for (const f of s.folds) {
      const testPatients = new Set(f.test.map((id) => patientOf.get(id)))
      for (const id of [...f.train, ...f.validation]) expect(testPatients.has(patientOf.get(id))).toBe(false)
      expect(f.validation.length).toBeGreaterThan(0)
      expect(f.train.filter((id) => f.validation.includes(id))).toEqual([])
      // stratified: 10 class-1 patients over 5 folds → 2 each
      const positives = new Set(f.test.filter((id) => items.find((i) => i.slideId === id)!.label === 1).map((id) => patientOf.get(id)))
      expect(positives.size).toBe(2)
    }
  })
  it('is identical for the same seed and different for another', () => {
    const items = cohort()
    expect(makeSplits(items, { k: 5, seed: 1 })).toEqual(makeSplits(items, { k: 5, seed: 1 }))
    expect(makeSplits(items, { k: 5, seed: 1 }).folds).not.toEqual(makeSplits(items, { k: 5, seed: 2 }).folds)
  })
  it('uses the folds from the labels CSV when every slide has one', () => {
    const items = cohort().map((i) => ({ ...i, fixedFold: Number(i.patientId.slice(1)) % 3 }))
    const s = makeSplits(items, { k: 5, seed: 1 })
    expect(s.k).toBe(3)
    expect(s.method).toContain('CSV')
  })
  it('refuses too few patients and a patient split over two CSV folds', () => {
    expect(() => makeSplits(cohort().slice(0, 3), { k: 5, seed: 1 })).toThrow(/at least 5 patients/)
    const bad: SplitItem[] = [
      { slideId: 1, label: 0, patientId: 'A', fixedFold: 0 },
      { slideId: 2, label: 0, patientId: 'A', fixedFold: 1 }
    ]
    expect(() => makeSplits(bad, { k: 2, seed: 1 })).toThrow(/patient "A"/)
  })
})
