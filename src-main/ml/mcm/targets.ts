// Teacher targets of MCM+KD, one definition for training, held-out evaluation and window inspection: each cached
// teacher vector is normalised (loss.teacherNorm: by default standardised per dimension with the mean and sd of the
// TRAINING slides' patches, else per vector); with loss.targetPca = K > 0 it is then replaced by its scores on the
// top-K principal components of the training slides' normalised vectors, each scaled to unit variance.
//
// Why standardise per dimension by default: an L1 over raw or per-vector-normalised features is dominated by the
// dimensions of largest spread; per-dimension standardisation weighs every teacher dimension alike (docs/mcm-recipe.md).
//
// Why whitening is offered: with raw (layernormed) targets the L1 is dominated by the few directions of largest
// variance (in the demo cohort the top 3 of 256 hold ~75 %: stain and colour, which a colour-statistics student already
// encodes), so directions that carry the teacher's extra knowledge barely move the loss. Whitened targets weigh each
// of the top K directions equally. Held-out slides never enter the fit.
import type { McmConfig } from '../../../src-shared/contracts/train'
import type { McmDataSource } from './data-source'
import { normaliseTeacher } from './objective'
import { fitPca, whitenedScores, type Pca } from './pca'
import { configHash } from './trainer'
import { patientsOf, splitSlides } from './windows'

export interface TargetSpace {
  /** length of one target vector */
  dim: number
  teacherDim: number
  norm: McmConfig['loss']['teacherNorm']
  /** teacherNorm 'standardize': what the per-dimension mean and sd were fitted on */
  standardized?: { fittedOnPatches: number; fittedOnSlides: number }
  pca: null | { components: number; varianceExplained: number; fittedOnPatches: number; fittedOnSlides: number }
}

export interface McmTargets {
  readonly space: TargetSpace
  /** target vector of one patch (a fresh array; callers may keep it) */
  target(slide: string, index: number): Float32Array
}

/** Human-readable name of the target space (evaluation metric text, run view). */
export function describeTargets(space: TargetSpace): string {
  const st = space.standardized
  const base = st ? `teacher features standardised per dimension (mean, sd of ${st.fittedOnPatches} patches of ${st.fittedOnSlides} training slides)` : `teacher features ${space.norm}-normalised`
  if (!space.pca) return base
  const p = space.pca
  return `${base}, projected on the top ${p.components} principal components of the training slides (${(100 * p.varianceExplained).toFixed(1)} % of the variance, ${p.fittedOnPatches} patches of ${p.fittedOnSlides} slides) and whitened`
}

const cache = new WeakMap<McmDataSource, Map<string, McmTargets>>()

/**
 * The targets of a run on `source` (training slides = everything not held out by cfg.heldOut). Memoised per source and
 * config: fitting K = 32 components on ~11k × 256-d vectors costs ~1.5 s (covariance + eigensolver).
 */
export function teacherTargets(source: McmDataSource, cfg: McmConfig): McmTargets {
  const key = configHash(cfg)
  const known = cache.get(source)?.get(key)
  if (known) return known
  const made = makeTargets(source, cfg)
  const bySource = cache.get(source) ?? new Map<string, McmTargets>()
  bySource.set(key, made)
  cache.set(source, bySource)
  return made
}

function makeTargets(source: McmDataSource, cfg: McmConfig): McmTargets {
  const norm = cfg.loss.teacherNorm
  const k = cfg.loss.targetPca
  const teacherDim = source.teacherDim
  const grids = source.slides()
  const split = splitSlides(grids.map((g) => g.slide), cfg.heldOut, patientsOf(grids))
  const rows: { slide: string; index: number }[] = []
  for (const g of grids) if (split.train.includes(g.slide)) for (const p of g.patches) rows.push({ slide: g.slide, index: p.index })
  const standardized = norm === 'standardize' ? { fittedOnPatches: rows.length, fittedOnSlides: split.train.length } : undefined
  const normalised = norm === 'standardize' ? standardizer(source, rows) : (slide: string, index: number): Float32Array => normaliseTeacher(source.teacherFeature(slide, index), norm)
  const base = { teacherDim, norm, ...(standardized ? { standardized } : {}) }
  if (k === 0) return { space: { dim: teacherDim, ...base, pca: null }, target: normalised }
  if (k > teacherDim) throw new Error(`loss.targetPca = ${k} is more than the teacher's feature dimension (${teacherDim})`)
  if (rows.length <= k) throw new Error(`loss.targetPca = ${k} needs more than ${k} training patches, the training slides have ${rows.length}`)
  const pca: Pca = fitPca(rows.length, teacherDim, (i) => {
    const r = rows[i] as { slide: string; index: number }
    return normalised(r.slide, r.index)
  })
  let kept = 0
  for (let j = 0; j < k; j++) kept += pca.variances[j] ?? 0
  const space: TargetSpace = {
    dim: k,
    ...base,
    pca: { components: k, varianceExplained: pca.totalVariance > 0 ? kept / pca.totalVariance : 0, fittedOnPatches: rows.length, fittedOnSlides: split.train.length }
  }
  return { space, target: (slide, index) => whitenedScores(pca, normalised(slide, index), k) }
}

/**
 * Per-dimension standardisation fitted on `rows` (the training slides' patches): (x − mean) / sd, in float64 sums.
 * A dimension with sd below 1e-6 of the largest is only centred (a constant dimension carries nothing to learn).
 */
function standardizer(source: McmDataSource, rows: readonly { slide: string; index: number }[]): (slide: string, index: number) => Float32Array {
  const d = source.teacherDim
  if (rows.length < 2) throw new Error(`teacher standardisation needs at least 2 training patches, the training slides have ${rows.length}`)
  const sum = new Float64Array(d)
  const sq = new Float64Array(d)
  for (const r of rows) {
    const v = source.teacherFeature(r.slide, r.index)
    for (let j = 0; j < d; j++) {
      const x = v[j] ?? 0
      sum[j] = (sum[j] ?? 0) + x
      sq[j] = (sq[j] ?? 0) + x * x
    }
  }
  const mean = new Float64Array(d)
  const sd = new Float64Array(d)
  let maxSd = 0
  for (let j = 0; j < d; j++) {
    const m = (sum[j] ?? 0) / rows.length
    mean[j] = m
    sd[j] = Math.sqrt(Math.max(0, (sq[j] ?? 0) / rows.length - m * m))
    maxSd = Math.max(maxSd, sd[j] ?? 0)
  }
  const scale = Float64Array.from(sd, (x) => (x > 1e-6 * maxSd && x > 0 ? 1 / x : 1))
  return (slide, index) => {
    const v = source.teacherFeature(slide, index)
    const out = new Float32Array(d)
    for (let j = 0; j < d; j++) out[j] = ((v[j] ?? 0) - (mean[j] ?? 0)) * (scale[j] ?? 1)
    return out
  }
}
