// Demo-model diagnostic: how much per-patch atypia do the demo student's and teacher's features carry on the cohort?
// Ridge probe (features → generator truth), patient-level 2-fold, held-out R²; then ABMIL CV on raw vs standardised
// features. Uses the cohort's ground truth for MEASUREMENT only (never as a label or training target of the demo).
// Run: node --import tsx scripts/feature-probe.ts [models-dir] [cohort-dir] [--no-cv]   (defaults: .cache/demo/…;
// ~1 min for the probe, ~10 min more for the ABMIL runs)
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { DEFAULT_COHORT_SEED, type CohortManifest } from '../src-main/cohort/generate'
import { drawStainStyle, paintSlide } from '../src-main/cohort/painter'
import { patientSeed, planCohort } from '../src-main/cohort/plan'
import { Prng } from '../src-main/cohort/prng'
import { TRUTH_CHANNELS } from '../src-main/cohort/truth'
import { useBackend } from '../src-main/ml/backend'
import { cohortFeatureBags, crossValidateBags, readCohortPatches } from '../src-main/ml/demo/calibrate'
import { loadDemoModel, readDemoModels } from '../src-main/ml/demo/demo-models'
import type { FeatureBag } from '../src-main/ml/mil/cross-validation'

const args = process.argv.slice(2).filter((a) => a !== '--no-cv')
const withCv = !process.argv.includes('--no-cv')
const modelsDir = args[0] ?? '.cache/demo/models'
const cohortDir = args[1] ?? `.cache/demo/cohort-${DEFAULT_COHORT_SEED}`
const index = readDemoModels(modelsDir)
if (!index) throw new Error(`no demo models in ${modelsDir}`)
const manifest = JSON.parse(readFileSync(join(cohortDir, 'cohort.json'), 'utf8')) as CohortManifest
// the cohort's own recipe (not the current defaults), so an older cohort is probed against its own ground truth
const { params, seed } = manifest.recipe
const truths = planCohort(manifest.recipe).map((s) => paintSlide(params, s.seed, s.label, drawStainStyle(new Prng(patientSeed(seed, s.patientIndex)), params)).truth)
await useBackend('wasm')
const slides = await readCohortPatches(cohortDir, manifest)
const ps = params.patchSize
const C = TRUTH_CHANNELS.length

/** Solve (XᵀX + λI) w = Xᵀy by Cholesky (D ≤ 257). */
function ridge(X: Float64Array, y: Float64Array, n: number, d: number, lambda: number): Float64Array {
  const A = new Float64Array(d * d)
  const b = new Float64Array(d)
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) { const xj = X[i * d + j]!; b[j]! += xj * y[i]!; for (let k = 0; k <= j; k++) A[j * d + k]! += xj * X[i * d + k]! }
  for (let j = 0; j < d; j++) { A[j * d + j]! += lambda; for (let k = 0; k < j; k++) A[k * d + j] = A[j * d + k]! }
  for (let j = 0; j < d; j++) { for (let k = 0; k < j; k++) { let s = A[j * d + k]!; for (let m = 0; m < k; m++) s -= A[j * d + m]! * A[k * d + m]!; A[j * d + k] = s / A[k * d + k]! } let s = A[j * d + j]!; for (let m = 0; m < j; m++) s -= A[j * d + m]! ** 2; A[j * d + j] = Math.sqrt(s) }
  const z = new Float64Array(d)
  for (let j = 0; j < d; j++) { let s = b[j]!; for (let m = 0; m < j; m++) s -= A[j * d + m]! * z[m]!; z[j] = s / A[j * d + j]! }
  const w = new Float64Array(d)
  for (let j = d - 1; j >= 0; j--) { let s = z[j]!; for (let m = j + 1; m < d; m++) s -= A[m * d + j]! * w[m]!; w[j] = s / A[j * d + j]! }
  return w
}

function standardise(bags: FeatureBag[]): FeatureBag[] {
  const d = bags[0]!.dim
  const mean = new Float64Array(d), sq = new Float64Array(d)
  let n = 0
  for (const b of bags) for (let i = 0; i < b.features.length / d; i++, n++) for (let j = 0; j < d; j++) { const v = b.features[i * d + j]!; mean[j]! += v; sq[j]! += v * v }
  for (let j = 0; j < d; j++) { mean[j]! /= n; sq[j] = Math.sqrt(Math.max(sq[j]! / n - mean[j]! ** 2, 1e-8)) }
  return bags.map((b) => ({ ...b, features: b.features.map((v, k) => (v - mean[k % d]!) / sq[k % d]!) }))
}

for (const role of ['student', 'teacher'] as const) {
  const model = loadDemoModel(modelsDir, index.models[role])
  const bags = await cohortFeatureBags(model, slides)
  const d = model.manifest.outputDim
  // rows: features + bias; targets: truth channels at each patch
  const rows: { x: Float32Array; t: Float32Array; fold: number }[] = []
  bags.forEach((b, si) => {
    const tr = truths[si]!
    const n = b.features.length / d
    const fold = Number(b.patientId.replace(/\D/g, '')) % 2
    for (let i = 0; i < n; i++) {
      const cell = (b.coords[i * 2 + 1]! / ps) * tr.cols + b.coords[i * 2]! / ps
      rows.push({ x: b.features.subarray(i * d, (i + 1) * d), t: tr.values.subarray(cell * C, (cell + 1) * C), fold })
    }
  })
  const r2: Record<string, number> = {}
  for (const ch of ['atypia_mean', 'atypia_max', 'atypia_context3', 'nuclear_area_fraction']) {
    const c = TRUTH_CHANNELS.indexOf(ch as (typeof TRUTH_CHANNELS)[number])
    let ssRes = 0, ssTot = 0
    for (const f of [0, 1]) {
      const tr = rows.filter((r) => r.fold !== f), te = rows.filter((r) => r.fold === f)
      const X = new Float64Array(tr.length * (d + 1)), y = new Float64Array(tr.length)
      tr.forEach((r, i) => { X.set(r.x, i * (d + 1)); X[i * (d + 1) + d] = 1; y[i] = r.t[c]! })
      const w = ridge(X, y, tr.length, d + 1, 1)
      const mean = te.reduce((s, r) => s + r.t[c]!, 0) / te.length
      for (const r of te) { let p = w[d]!; for (let j = 0; j < d; j++) p += w[j]! * r.x[j]!; ssRes += (p - r.t[c]!) ** 2; ssTot += (r.t[c]! - mean) ** 2 }
    }
    r2[ch] = +(1 - ssRes / ssTot).toFixed(3)
  }
  console.log(JSON.stringify({ model: role, dim: d, patches: rows.length, heldOutR2: r2 }))
  if (!withCv) {
    model.dispose()
    continue
  }
  await useBackend('cpu')
  for (const [name, set] of [['raw', bags], ['standardised', standardise(bags)]] as const) {
    const r = await crossValidateBags(`${role}-${name}`, set)
    console.log(JSON.stringify({ model: role, features: name, aucMean: +r.aucMean.toFixed(3), folds: r.aucFolds.map((a) => +a.toFixed(2)), pooled: +r.aucPooled.toFixed(3), seconds: r.seconds }))
  }
  await useBackend('wasm')
  model.dispose()
}
