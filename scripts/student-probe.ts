// Demo diagnostic: what did fine-tuning change in the student's OWN features? For the baseline student, the teacher and
// each given fine-tuned run, a ridge read-out (src-main/ml/mcm/ridge.ts) fitted on the patches of the MCM training
// slides and scored (R²) on the MCM held-out slides, against (a) the generator's per-patch atypia (ground truth, used for
// MEASUREMENT only, never as a label or a training target) and (b) the layer-normalised teacher features (label-free,
// the same read-out as the run's teacher probe but on every patch). Run:
//   node --import tsx scripts/student-probe.ts <run-dir>...   (run dirs hold model/manifest.json + model/student.safetensors;
//   ~20 s per model on this 2-core machine, after ~30 s for the cohort's patches and the teacher's features)
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { drawStainStyle, paintSlide } from '../src-main/cohort/painter'
import { patientSeed, planCohort } from '../src-main/cohort/plan'
import { Prng } from '../src-main/cohort/prng'
import { TRUTH_CHANNELS } from '../src-main/cohort/truth'
import { useBackend } from '../src-main/ml/backend'
import { cohortFeatureBags, readCohortPatches } from '../src-main/ml/demo/calibrate'
import { loadDemoModel } from '../src-main/ml/demo/demo-models'
import { normaliseTeacher } from '../src-main/ml/mcm/objective'
import { fitRidge, ridgeR2 } from '../src-main/ml/mcm/ridge'
import type { ZooModel } from '../src-main/ml/models/manifest'
import { createModel } from '../src-main/ml/models/zoo'
import { loadSafetensorsFile } from '../src-main/ml/weights'
import { openDemoCache } from './lib/demo-cache'

const runDirs = process.argv.slice(2)
const { modelsDir, cohortDir, index, manifest } = openDemoCache()
const runManifests = runDirs.map((d) => JSON.parse(readFileSync(join(d, 'model', 'manifest.json'), 'utf8')) as {
  options: { width: number; depth: number }
  inputSize: number
  config: { optim: { lrStudent: number } }
  data: { heldOutSlides: string[] }
})
// the runs' own held-out slides (names are "<slide>:<hash>"); all given runs must share them
const held = new Set((runManifests[0]?.data.heldOutSlides ?? []).map((s) => s.split(':')[0]))
if (held.size === 0) throw new Error('give at least one run folder (its held-out slides define the split)')

await useBackend('wasm')
const slides = await readCohortPatches(cohortDir, manifest)
const { params, seed } = manifest.recipe
const plan = planCohort(manifest.recipe)
const atypiaChannel = TRUTH_CHANNELS.indexOf('atypia_mean')
const atypia: number[] = []
const isHeld: boolean[] = []
slides.forEach((s, si) => {
  const sp = plan[si]
  if (!sp) throw new Error(`cohort plan has no slide ${si}`)
  const truth = paintSlide(params, sp.seed, sp.label, drawStainStyle(new Prng(patientSeed(seed, sp.patientIndex)), params)).truth
  for (let i = 0; i < s.count; i++) {
    const cell = ((s.coords[i * 2 + 1] ?? 0) / params.patchSize) * truth.cols + (s.coords[i * 2] ?? 0) / params.patchSize
    atypia.push(truth.values[cell * TRUTH_CHANNELS.length + atypiaChannel] ?? NaN)
    isHeld.push(held.has(s.slideId))
  }
})

/** Rows of `values` ([n, m]) split into the training (fit) and held-out (score) parts. */
function split(values: ArrayLike<number>, m: number): [Float32Array, Float32Array] {
  const fit: number[] = []
  const score: number[] = []
  isHeld.forEach((h, i) => (h ? score : fit).push(...Array.from({ length: m }, (_, c) => values[i * m + c] ?? NaN)))
  return [Float32Array.from(fit), Float32Array.from(score)]
}
const nFit = isHeld.filter((h) => !h).length
const nHeld = isHeld.length - nFit

const teacher = loadDemoModel(modelsDir, index.models.teacher)
const td = teacher.manifest.outputDim
const teacherRows = (await cohortFeatureBags(teacher, slides)).flatMap((b) => {
  const out: number[] = []
  for (let i = 0; i < b.features.length / td; i++) out.push(...normaliseTeacher(b.features.subarray(i * td, (i + 1) * td), 'layernorm'))
  return out
})
const [atypiaFit, atypiaHeld] = split(atypia, 1)
const [teacherFit, teacherHeld] = split(teacherRows, td)

async function probe(name: string, model: ZooModel): Promise<void> {
  const d = model.manifest.outputDim
  const feats = (await cohortFeatureBags(model, slides)).flatMap((b) => Array.from(b.features))
  const [xFit, xHeld] = split(feats, d)
  const r2 = (yFit: Float32Array, yHeld: Float32Array, m: number): number => ridgeR2(fitRidge(xFit, yFit, nFit, d, m), xHeld, yHeld, nHeld)
  console.log(JSON.stringify({ model: name, atypiaR2: +r2(atypiaFit, atypiaHeld, 1).toFixed(4), teacherR2: +r2(teacherFit, teacherHeld, td).toFixed(4), fitPatches: nFit, heldPatches: nHeld }))
  model.dispose()
}

await probe('teacher', teacher)
await probe('baseline student', loadDemoModel(modelsDir, index.models.student))
for (const [i, dir] of runDirs.entries()) {
  const m = runManifests[i] as (typeof runManifests)[number]
  const model = createModel('smallcnn', { width: m.options.width, depth: m.options.depth, inputSize: m.inputSize, seed: 0 })
  loadSafetensorsFile(model, join(dir, 'model', 'student.safetensors'))
  await probe(`${dir} (lrStudent ${m.config.optim.lrStudent})`, model)
}
