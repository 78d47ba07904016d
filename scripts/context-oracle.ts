// Demo diagnostic: how much CONTEXT is there for MCM+KD to learn on the demo cohort? An oracle sees the teacher's own
// (layer-normalised) features of the visible patches of each 4×4 window and predicts each masked patch's teacher
// features with a ridge read-out (src-main/ml/mcm/ridge.ts) from three inputs: the mean of all visible patches, of the
// visible 4-neighbours and of the visible 8-neighbours. Fitted on windows of the MCM training slides, scored (masked-patch
// L1, as the run's held-out metric) on windows of the held-out slides (the run's default split: the last 20 % by name),
// against "mean of the visible patches", "mean of the visible 4-neighbours" and the visible mean shrunk toward the
// cohort mean. If the neighbours predict no better than
// the window mean, a student cannot learn local context from this cohort, however good it is.
// Run: node --import tsx scripts/context-oracle.ts   (~30 s after the demo has built its cache; tissue filter as in
// scripts/calibrate-cohort.ts, windows at offset 0, 8 of 16 cells masked per window, seeded)
import { McmConfig } from '../src-shared/contracts/train'
import { useBackend } from '../src-main/ml/backend'
import { cohortFeatureBags, readCohortPatches } from '../src-main/ml/demo/calibrate'
import { loadDemoModel } from '../src-main/ml/demo/demo-models'
import { l1, normaliseTeacher } from '../src-main/ml/mcm/objective'
import { fitRidge, ridgePredict } from '../src-main/ml/mcm/ridge'
import { Rng } from '../src-main/ml/mcm/rng'
import { splitSlides } from '../src-main/ml/mcm/windows'
import { openDemoCache } from './lib/demo-cache'

const WINDOW = 4
const MASKED = 8
const { modelsDir, cohortDir, index, manifest } = openDemoCache()
const ps = manifest.recipe.params.patchSize
const held = new Set(splitSlides(manifest.slides.map((s) => s.slideId), McmConfig.parse({}).heldOut).heldOut)

await useBackend('wasm')
const slides = await readCohortPatches(cohortDir, manifest)
const teacher = loadDemoModel(modelsDir, index.models.teacher)
const td = teacher.manifest.outputDim
const bags = await cohortFeatureBags(teacher, slides)

function meanOf(vectors: readonly Float32Array[]): Float32Array | null {
  if (vectors.length === 0) return null
  const m = new Float32Array(td)
  for (const v of vectors) for (let d = 0; d < td; d++) m[d] = (m[d] ?? 0) + (v[d] ?? 0) / vectors.length
  return m
}

interface Example { x: Float32Array; target: Float32Array; held: boolean }
const examples: Example[] = []
const rng = new Rng(99)
for (const b of bags) {
  const grid = new Map<string, Float32Array>()
  let cols = 0
  let rows = 0
  for (let i = 0; i < b.features.length / td; i++) {
    const c = (b.coords[i * 2] ?? 0) / ps
    const r = (b.coords[i * 2 + 1] ?? 0) / ps
    cols = Math.max(cols, c + 1)
    rows = Math.max(rows, r + 1)
    grid.set(`${c},${r}`, normaliseTeacher(b.features.subarray(i * td, (i + 1) * td), 'layernorm'))
  }
  for (let r0 = 0; r0 + WINDOW <= rows; r0 += WINDOW) {
    for (let c0 = 0; c0 + WINDOW <= cols; c0 += WINDOW) {
      const cells: [number, number][] = []
      for (let dr = 0; dr < WINDOW; dr++) for (let dc = 0; dc < WINDOW; dc++) cells.push([c0 + dc, r0 + dr])
      const feats = cells.map(([c, r]) => grid.get(`${c},${r}`))
      if (feats.some((f) => !f)) continue
      const masked = new Set(rng.shuffle([...cells.keys()]).slice(0, MASKED))
      const visible = cells.map((cell, k) => ({ cell, f: feats[k] as Float32Array })).filter((_, k) => !masked.has(k))
      const all = meanOf(visible.map((v) => v.f)) as Float32Array
      for (const k of masked) {
        const [c, r] = cells[k] as [number, number]
        const near = (reach: (dc: number, dr: number) => boolean): Float32Array =>
          meanOf(visible.filter((v) => reach(Math.abs(v.cell[0] - c), Math.abs(v.cell[1] - r))).map((v) => v.f)) ?? all
        const x = new Float32Array(3 * td)
        x.set(all, 0)
        x.set(near((dc, dr) => dc + dr === 1), td)
        x.set(near((dc, dr) => Math.max(dc, dr) === 1), 2 * td)
        examples.push({ x, target: feats[k] as Float32Array, held: held.has(b.slideName) })
      }
    }
  }
}

const fit = examples.filter((e) => !e.held)
const score = examples.filter((e) => e.held)
const d = 3 * td
const x = new Float32Array(fit.length * d)
const y = new Float32Array(fit.length * td)
fit.forEach((e, i) => {
  x.set(e.x, i * d)
  y.set(e.target, i * td)
})
const meanL1 = (predict: (e: Example) => Float32Array): number => score.reduce((s, e) => s + l1(predict(e), e.target), 0) / score.length
const result: Record<string, number> = {
  fitMaskedPatches: fit.length,
  heldOutMaskedPatches: score.length,
  visibleMeanL1: meanL1((e) => e.x.subarray(0, td)),
  fourNeighbourMeanL1: meanL1((e) => e.x.subarray(td, 2 * td))
}
// the oracle's gain could be mere shrinkage toward the cohort mean: the visible mean pulled toward the training targets'
// mean, with the pull chosen on the fit windows (no neighbour structure at all)
const cohortMean = meanOf(fit.map((e) => e.target)) as Float32Array
const shrunk = (e: Example, a: number): Float32Array => e.x.subarray(0, td).map((v, c) => a * v + (1 - a) * (cohortMean[c] ?? 0))
const pulls = Array.from({ length: 21 }, (_, i) => i / 20)
const fitL1 = (a: number): number => fit.reduce((s, e) => s + l1(shrunk(e, a), e.target), 0) / fit.length
const bestPull = pulls.reduce((best, a) => (fitL1(a) < fitL1(best) ? a : best), 1)
result['shrunkVisibleMeanL1'] = meanL1((e) => shrunk(e, bestPull))
result['shrinkWeightOnVisibleMean'] = bestPull
// the same read-out from the visible mean alone: what the neighbours add is the difference between the two
const xMeanOnly = new Float32Array(fit.length * td)
fit.forEach((e, i) => xMeanOnly.set(e.x.subarray(0, td), i * td))
for (const [name, inputs, width] of [['oracleRidgeL1', x, d], ['visibleMeanRidgeL1', xMeanOnly, td]] as const) {
  for (const lambda of [0.1, 1]) {
    const f = fitRidge(inputs, y, fit.length, width, td, lambda)
    result[`${name}_lambda${lambda}`] = meanL1((e) => ridgePredict(f, e.x.subarray(0, width)))
  }
}
console.log(JSON.stringify(Object.fromEntries(Object.entries(result).map(([k, v]) => [k, Number.isInteger(v) ? v : +v.toFixed(4)]))))
