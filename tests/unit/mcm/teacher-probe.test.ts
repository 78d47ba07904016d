// The teacher probe: ridge read-out against exact and pure-noise relations, the patch sample, and a probe of two
// students on the synthetic cohort (identical students score identically; a student that is not the baseline does not).
import * as tf from '@tensorflow/tfjs'
import { beforeAll, describe, expect, it } from 'vitest'
import { McmConfig } from '../../../src-shared/contracts/train'
import { fitRidge, ridgeR2 } from '../../../src-main/ml/mcm/ridge'
import { Rng } from '../../../src-main/ml/mcm/rng'
import { createStudent } from '../../../src-main/ml/mcm/student'
import { SyntheticCohort } from '../../../src-main/ml/mcm/synthetic-cohort'
import { teacherTargets } from '../../../src-main/ml/mcm/targets'
import { sampleCells, teacherProbe } from '../../../src-main/ml/mcm/teacher-probe'

beforeAll(async () => {
  await tf.setBackend('cpu')
})

function rows(n: number, rng: Rng, f: (x: number[]) => number[]): { x: Float32Array; y: Float32Array } {
  const x = new Float32Array(n * 3)
  const y = new Float32Array(n * 2)
  for (let i = 0; i < n; i++) {
    const xi = [rng.normal(), 10 * rng.normal() + 4, rng.normal()]
    x.set(xi, i * 3)
    y.set(f(xi), i * 2)
  }
  return { x, y }
}

describe('ridge read-out', () => {
  it('recovers an exact linear map (R² ≈ 1 on new rows) and finds nothing in pure noise (R² ≈ 0)', () => {
    const rng = new Rng(3)
    const exact = (x: number[]): number[] => [2 * (x[0] ?? 0) - 0.5 * (x[1] ?? 0) + 3, (x[2] ?? 0) - (x[0] ?? 0)]
    const fit = rows(500, rng, exact)
    const test = rows(300, rng, exact)
    const f = fitRidge(fit.x, fit.y, 500, 3, 2, 1e-9)
    expect(ridgeR2(f, test.x, test.y, 300)).toBeGreaterThan(0.999999)
    const noise = (): number[] => [rng.normal(), rng.normal()]
    const nFit = rows(500, rng, noise)
    const nTest = rows(300, rng, noise)
    const r2 = ridgeR2(fitRidge(nFit.x, nFit.y, 500, 3, 2), nTest.x, nTest.y, 300)
    expect(r2).toBeLessThan(0.03)
    expect(r2).toBeGreaterThan(-0.05)
  })

  it('names a size mismatch', () => {
    expect(() => fitRidge(new Float32Array(6), new Float32Array(3), 2, 3, 2)).toThrow(/expected 2×3 inputs and 2×2 targets/)
  })
})

describe('teacher probe', () => {
  const cfg = McmConfig.parse({ backend: 'cpu', data: { source: 'synthetic', synthetic: { slides: 4, cols: 8, rows: 8, holes: 0 } }, heldOut: { slides: ['synthetic-03'] } })
  const source = new SyntheticCohort(cfg.data.synthetic)
  const grids = source.slides()
  const train = grids.filter((g) => g.slide !== 'synthetic-03')
  const held = grids.filter((g) => g.slide === 'synthetic-03')

  it('samples at most n distinct patches, the same ones for the same seed, all of them when there are fewer', () => {
    const a = sampleCells(train, 50, Rng.keyed(1, 7))
    expect(a).toHaveLength(50)
    expect(new Set(a.map((c) => `${c.slide}/${c.index}`)).size).toBe(50)
    expect(sampleCells(train, 50, Rng.keyed(1, 7))).toEqual(a)
    expect(sampleCells(held, 1000, Rng.keyed(1, 7))).toHaveLength(64)
  })

  it('scores identical students identically and reports its sample sizes', async () => {
    const targets = teacherTargets(source, cfg)
    const baseline = createStudent('tiny-cnn', source.patchSize, 1)
    const other = createStudent('tiny-cnn', source.patchSize, 2)
    const same = await teacherProbe({ source, targets, trainGrids: train, heldGrids: held, before: baseline, after: baseline, patches: 120, seed: 5 })
    expect(same.before).toBe(same.after)
    expect(same.fitPatches).toBe(120)
    expect(same.testPatches).toBe(64)
    expect(same.before).toBeGreaterThan(-1)
    expect(same.before).toBeLessThan(1)
    expect(same.metric).toMatch(/fitted on 120 patches of the training slides, scored on 64 patches of the held-out slides/)
    const diff = await teacherProbe({ source, targets, trainGrids: train, heldGrids: held, before: baseline, after: other, patches: 120, seed: 5 })
    expect(diff.before).toBe(same.before)
    expect(diff.after).not.toBe(diff.before)
    baseline.dispose()
    other.dispose()
  })
})
