// PCA (Jacobi eigensolver) against hand-checkable matrices, and the MCM+KD target space: plain normalised teacher
// vectors by default; with loss.targetPca, whitened components fitted on the training slides only.
import { describe, expect, it } from 'vitest'
import { McmConfig } from '../../../src-shared/contracts/train'
import { normaliseTeacher } from '../../../src-main/ml/mcm/objective'
import { fitPca, symmetricEigen, whitenedScores } from '../../../src-main/ml/mcm/pca'
import { Rng } from '../../../src-main/ml/mcm/rng'
import { SyntheticCohort } from '../../../src-main/ml/mcm/synthetic-cohort'
import { describeTargets, teacherTargets } from '../../../src-main/ml/mcm/targets'

describe('symmetricEigen', () => {
  it('solves [[2,1],[1,2]]: eigenvalues 3 and 1, eigenvectors (1,1)/√2 and (1,−1)/√2', () => {
    const { values, vectors } = symmetricEigen(Float64Array.from([2, 1, 1, 2]), 2)
    expect(values[0]).toBeCloseTo(3, 12)
    expect(values[1]).toBeCloseTo(1, 12)
    expect(Math.abs(vectors[0] ?? 0)).toBeCloseTo(Math.SQRT1_2, 12)
    expect((vectors[0] ?? 0) * (vectors[1] ?? 0)).toBeGreaterThan(0)
    expect((vectors[2] ?? 0) * (vectors[3] ?? 0)).toBeLessThan(0)
  })

  it('reconstructs a random symmetric 12×12 matrix from orthonormal eigenvectors, eigenvalues descending', () => {
    const n = 12
    const rng = new Rng(5)
    const a = new Float64Array(n * n)
    for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) a[i * n + j] = a[j * n + i] = rng.normal()
    const { values, vectors } = symmetricEigen(a, n)
    for (let k = 1; k < n; k++) expect(values[k] ?? 0).toBeLessThanOrEqual(values[k - 1] ?? 0)
    let worst = 0
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        let sum = 0
        let dot = 0
        for (let k = 0; k < n; k++) {
          sum += (values[k] ?? 0) * (vectors[k * n + i] ?? 0) * (vectors[k * n + j] ?? 0)
          dot += (vectors[i * n + k] ?? 0) * (vectors[j * n + k] ?? 0)
        }
        worst = Math.max(worst, Math.abs(sum - (a[i * n + j] ?? 0)), Math.abs(dot - (i === j ? 1 : 0)))
      }
    }
    expect(worst).toBeLessThan(1e-10)
  })
})

describe('fitPca', () => {
  it('finds the axes of a rotated Gaussian with SDs 3, 2, 1 and whitens it to unit covariance', () => {
    const rng = new Rng(11)
    const angle = 0.6
    const [c, s] = [Math.cos(angle), Math.sin(angle)]
    const rows = Array.from({ length: 4000 }, () => {
      const z = [3 * rng.normal(), 2 * rng.normal(), rng.normal()]
      return [c * (z[0] ?? 0) - s * (z[1] ?? 0) + 5, s * (z[0] ?? 0) + c * (z[1] ?? 0) - 2, z[2] ?? 0]
    })
    const p = fitPca(rows.length, 3, (i) => rows[i] as number[])
    expect(Math.sqrt(p.variances[0] ?? 0)).toBeCloseTo(3, 0)
    expect(Math.sqrt(p.variances[1] ?? 0)).toBeCloseTo(2, 0)
    expect(Math.abs((p.components[0] ?? 0) * c + (p.components[1] ?? 0) * s)).toBeGreaterThan(0.99)
    expect(p.mean[0]).toBeCloseTo(5, 0)
    expect(p.totalVariance).toBeCloseTo((p.variances[0] ?? 0) + (p.variances[1] ?? 0) + (p.variances[2] ?? 0), 8)
    const scores = rows.map((r) => whitenedScores(p, r, 3))
    for (let a = 0; a < 3; a++) {
      for (let b = 0; b < 3; b++) {
        let cov = 0
        for (const x of scores) cov += (x[a] ?? 0) * (x[b] ?? 0)
        expect(cov / (rows.length - 1)).toBeCloseTo(a === b ? 1 : 0, 5)
      }
    }
  })

  it('refuses fewer than two vectors', () => {
    expect(() => fitPca(1, 3, () => [1, 2, 3])).toThrow(/at least 2/)
  })
})

describe('teacherTargets', () => {
  const data = { source: 'synthetic', synthetic: { slides: 5, cols: 8, rows: 8, holes: 0, teacherDim: 12 } }

  it('by default standardises each dimension with the mean and sd of the training slides only', () => {
    const cfg = McmConfig.parse({ data, heldOut: { slides: ['synthetic-04'] } })
    const source = new SyntheticCohort(cfg.data.synthetic)
    const t = teacherTargets(source, cfg)
    expect(t.space).toEqual({ dim: 12, teacherDim: 12, norm: 'standardize', standardized: { fittedOnPatches: 4 * 64, fittedOnSlides: 4 }, pca: null })
    const train = source.slides().filter((g) => g.slide !== 'synthetic-04')
    const rows = train.flatMap((g) => g.patches.map((p) => t.target(g.slide, p.index)))
    for (let j = 0; j < 12; j++) {
      const col = rows.map((r) => r[j] as number)
      const m = col.reduce((a, b) => a + b, 0) / col.length
      const sd = Math.sqrt(col.reduce((a, b) => a + (b - m) ** 2, 0) / col.length)
      expect(m).toBeCloseTo(0, 4)
      expect(sd).toBeCloseTo(1, 3)
    }
    // the held-out slide is transformed with the training statistics, not its own
    const held = source.slides().find((g) => g.slide === 'synthetic-04')!
    const hm = held.patches.map((p) => t.target(held.slide, p.index)[0] as number).reduce((a, b) => a + b, 0) / held.patches.length
    expect(Math.abs(hm)).toBeGreaterThan(1e-3)
    expect(describeTargets(t.space)).toMatch(/standardised per dimension \(mean, sd of 256 patches of 4 training slides\)/)
  })

  it('is the per-vector normalised teacher feature with teacherNorm layernorm and targetPca 0', () => {
    const cfg = McmConfig.parse({ data, loss: { teacherNorm: 'layernorm' } })
    const source = new SyntheticCohort(cfg.data.synthetic)
    const t = teacherTargets(source, cfg)
    expect(t.space).toEqual({ dim: 12, teacherDim: 12, norm: 'layernorm', pca: null })
    const slide = source.slides()[0]?.slide as string
    expect(Array.from(t.target(slide, 3))).toEqual(Array.from(normaliseTeacher(source.teacherFeature(slide, 3), 'layernorm')))
    expect(describeTargets(t.space)).toBe('teacher features layernorm-normalised')
  })

  it('with targetPca = K: K whitened components fitted on the training slides only', () => {
    const cfg = McmConfig.parse({ data, loss: { targetPca: 4 }, heldOut: { slides: ['synthetic-04'] } })
    const source = new SyntheticCohort(cfg.data.synthetic)
    const names = source.slides().map((g) => g.slide)
    expect(names).toContain('synthetic-04')
    const t = teacherTargets(source, cfg)
    expect(t.space.dim).toBe(4)
    expect(t.space.pca?.fittedOnSlides).toBe(4)
    expect(t.space.pca?.fittedOnPatches).toBe(4 * 64)
    expect(t.space.pca?.varianceExplained).toBeGreaterThan(0)
    expect(t.space.pca?.varianceExplained).toBeLessThanOrEqual(1)
    // on the fit data every component has mean 0 and variance 1
    const train = source.slides().filter((g) => g.slide !== 'synthetic-04')
    const all = train.flatMap((g) => g.patches.map((p) => t.target(g.slide, p.index)))
    for (let k = 0; k < 4; k++) {
      const mean = all.reduce((s, v) => s + (v[k] ?? 0), 0) / all.length
      const variance = all.reduce((s, v) => s + ((v[k] ?? 0) - mean) ** 2, 0) / (all.length - 1)
      expect(mean).toBeCloseTo(0, 5)
      expect(variance).toBeCloseTo(1, 4)
    }
    expect(describeTargets(t.space)).toMatch(/top 4 principal components of the training slides/)
    expect(teacherTargets(source, cfg)).toBe(t)
  })

  it('names the problem when targetPca exceeds the teacher dimension', () => {
    const cfg = McmConfig.parse({ data, loss: { targetPca: 13 } })
    expect(() => teacherTargets(new SyntheticCohort(cfg.data.synthetic), cfg)).toThrow(/targetPca = 13 is more than the teacher's feature dimension \(12\)/)
  })
})
