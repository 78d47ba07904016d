// Label-free check of what fine-tuning passed from the teacher to the student (the "teacher probe"): a ridge regression
// from the student's features to the run's teacher targets, fitted on patches of the training slides and scored (R²)
// on patches of the held-out slides, for the student before and after fine-tuning. The frozen-student control keeps the
// "before" student, so its probe equals "before". The held-out masked L1 says whether the predictor got better; this
// says whether the student's OWN features (what a MIL pipeline consumes) now carry more of what the teacher sees.
// Cost: one read of each sampled patch + two student forwards of it + one ridge solve (d³/3; ~0.1 s for d = 64).
import * as tf from '@tensorflow/tfjs'
import { IDENTITY_AUGMENT, writeStudentInput } from './augment'
import { mapLimit, type McmDataSource, type SlideGridView } from './data-source'
import { fitRidge, ridgeR2 } from './ridge'
import { Rng, STREAM } from './rng'
import { atStudentSize, type StudentModel } from './student'
import type { McmTargets } from './targets'
import { CancelledError } from './trainer'

export interface TeacherProbe {
  /** held-out R² of the baseline student's features → teacher targets */
  before: number
  /** the same for the fine-tuned student */
  after: number
  fitPatches: number
  testPatches: number
  metric: string
  /** the truth probe (config probe.truth): the same read-out, same patches and features, to a per-patch annotation */
  truth?: TruthProbe
}

export interface TruthProbe {
  channel: string
  before: number
  after: number
  /** patches of the fit / score samples that have an annotation (the others are left out of this read-out) */
  fitPatches: number
  testPatches: number
}

export interface ProbeCell {
  slide: string
  index: number
}

/** At most `n` tissue patches of `grids`, drawn uniformly without replacement (all of them when there are fewer). */
export function sampleCells(grids: readonly SlideGridView[], n: number, rng: Rng): ProbeCell[] {
  const all = grids.flatMap((g) => g.patches.map((p) => ({ slide: g.slide, index: p.index })))
  return all.length <= n ? all : rng.shuffle(all).slice(0, n)
}

const CHUNK = 64

/** Features of both students for `cells`, read and normalised once per chunk ([n, featureDim] each). */
async function featuresOf(source: McmDataSource, students: readonly StudentModel[], cells: readonly ProbeCell[], signal?: AbortSignal): Promise<Float32Array[]> {
  const p = source.patchSize
  const out = students.map((s) => new Float32Array(cells.length * s.featureDim))
  for (let from = 0; from < cells.length; from += CHUNK) {
    if (signal?.aborted) throw new CancelledError()
    const chunk = cells.slice(from, from + CHUNK)
    const rgb = await mapLimit(chunk, 4, (c) => source.readPatch(c.slide, c.index, signal))
    // both students' forwards are queued before the one async read of the chunk
    const features = students.map((student) => {
      const pixels = new Float32Array(chunk.length * p * p * 3)
      rgb.forEach((patch, i) => writeStudentInput(patch, p, IDENTITY_AUGMENT, student.mean, student.std, pixels, i * p * p * 3))
      return tf.tidy(() => {
        const r = student.forward(atStudentSize(tf.tensor4d(pixels, [chunk.length, p, p, 3]), student), { training: false, freezeBnStats: true })
        for (const u of r.stateUpdates) u.value.dispose()
        return r.features
      })
    })
    const values = await Promise.all(features.map((f) => f.data() as Promise<Float32Array>))
    tf.dispose(features)
    students.forEach((student, k) => (out[k] as Float32Array).set(values[k] as Float32Array, from * student.featureDim))
  }
  return out
}

function targetsOf(targets: McmTargets, cells: readonly ProbeCell[]): Float32Array {
  const m = targets.space.dim
  const y = new Float32Array(cells.length * m)
  cells.forEach((c, i) => y.set(targets.target(c.slide, c.index), i * m))
  return y
}

export interface TeacherProbeInput {
  source: McmDataSource
  targets: McmTargets
  trainGrids: readonly SlideGridView[]
  heldGrids: readonly SlideGridView[]
  before: StudentModel
  after: StudentModel
  /** patches sampled from the training slides (fit) and at most as many from the held-out slides (score) */
  patches: number
  seed: number
  /** per-patch annotation of a cell (config probe.truth), null where there is none */
  truth?: { channel: string; of(cell: ProbeCell): number | null }
  signal?: AbortSignal
}

/** Rows of `x` ([n, d]) and the annotation of each cell, for the cells that have one. */
function annotated(x: Float32Array, d: number, cells: readonly ProbeCell[], of: (cell: ProbeCell) => number | null): { x: Float32Array; y: Float32Array; n: number } {
  const keep: number[] = []
  const y: number[] = []
  cells.forEach((c, i) => {
    const v = of(c)
    if (v !== null) {
      keep.push(i)
      y.push(v)
    }
  })
  const out = new Float32Array(keep.length * d)
  keep.forEach((i, r) => out.set(x.subarray(i * d, (i + 1) * d), r * d))
  return { x: out, y: Float32Array.from(y), n: keep.length }
}

function truthProbe(t: NonNullable<TeacherProbeInput['truth']>, fit: readonly ProbeCell[], test: readonly ProbeCell[], xs: { fit: Float32Array; test: Float32Array; d: number }[]): TruthProbe {
  const [before, after] = xs.map(({ fit: xf, test: xt, d }) => {
    const a = annotated(xf, d, fit, t.of)
    const b = annotated(xt, d, test, t.of)
    if (a.n < 2 || b.n < 2) throw new Error(`truth probe: fewer than 2 annotated patches (${a.n} fit, ${b.n} held-out) for channel "${t.channel}"`)
    return { r2: ridgeR2(fitRidge(a.x, a.y, a.n, d, 1), b.x, b.y, b.n), fitPatches: a.n, testPatches: b.n }
  }) as [{ r2: number; fitPatches: number; testPatches: number }, { r2: number; fitPatches: number; testPatches: number }]
  return { channel: t.channel, before: before.r2, after: after.r2, fitPatches: before.fitPatches, testPatches: before.testPatches }
}

export async function teacherProbe(o: TeacherProbeInput): Promise<TeacherProbe> {
  const fit = sampleCells(o.trainGrids, o.patches, Rng.keyed(o.seed, STREAM.probe, 1))
  const test = sampleCells(o.heldGrids, o.patches, Rng.keyed(o.seed, STREAM.probe, 2))
  const yFit = targetsOf(o.targets, fit)
  const yTest = targetsOf(o.targets, test)
  const [fitBefore, fitAfter] = (await featuresOf(o.source, [o.before, o.after], fit, o.signal)) as [Float32Array, Float32Array]
  const [testBefore, testAfter] = (await featuresOf(o.source, [o.before, o.after], test, o.signal)) as [Float32Array, Float32Array]
  const m = o.targets.space.dim
  const r2 = (xFit: Float32Array, xTest: Float32Array, d: number): number => ridgeR2(fitRidge(xFit, yFit, fit.length, d, m), xTest, yTest, test.length)
  return {
    before: r2(fitBefore, testBefore, o.before.featureDim),
    after: r2(fitAfter, testAfter, o.after.featureDim),
    fitPatches: fit.length,
    testPatches: test.length,
    ...(o.truth
      ? {
          truth: truthProbe(o.truth, fit, test, [
            { fit: fitBefore, test: testBefore, d: o.before.featureDim },
            { fit: fitAfter, test: testAfter, d: o.after.featureDim }
          ])
        }
      : {}),
    metric: `R² of a ridge read-out (λ = 1e-3·n, standardised features) from the student's features to the run's targets, fitted on ${fit.length} patches of the training slides, scored on ${test.length} patches of the held-out slides`
  }
}
