// Cohort calibration with the BASELINE student and the teacher only (never a fine-tuned model): build (or reuse) the
// demo models of a profile, generate (or reuse) the cohort, then ABMIL patient-level 5-fold CV (seed 7) on each model's
// features. Prints one JSON line per model. Writes only under --out, in the demo cache's layout (models/,
// cohort-<seed>/), so `TESSERA_DEMO_CACHE=<out> node --import tsx scripts/context-oracle.ts` runs on the same files.
// Run: node --import tsx scripts/calibrate-cohort.ts --out <dir> [--profile full|smoke] [--overrides '{"atypiaPeak":[0.8,1]}']
// (full profile: ~5 min models + ~1 min cohort + features + CV on the 2-core machine with native convolutions)
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { DEFAULT_COHORT_SEED, generateCohort } from '../src-main/cohort/generate'
import { DEFAULT_PARAMS, type CohortParams } from '../src-main/cohort/recipe'
import { useBackend } from '../src-main/ml/backend'
import { cohortFeatureBags, crossValidateBags, readCohortPatches } from '../src-main/ml/demo/calibrate'
import { buildDemoModels, demoModelsRecipe, loadDemoModel, type DemoProfile } from '../src-main/ml/demo/demo-models'

const { values } = parseArgs({ options: { out: { type: 'string' }, overrides: { type: 'string', default: '{}' }, profile: { type: 'string', default: 'full' } } })
if (!values.out) throw new Error('--out <dir> is required')
const profile = values.profile as DemoProfile
const overrides = JSON.parse(values.overrides ?? '{}') as Partial<CohortParams>
const painter: CohortParams = { ...DEFAULT_PARAMS, ...overrides }
await useBackend('wasm')
const started = Date.now()
const log = (o: object): void => console.log(JSON.stringify({ ...o, totalSeconds: Math.round((Date.now() - started) / 1000) }))
const models = await buildDemoModels({
  outDir: join(values.out, 'models'),
  recipe: { ...demoModelsRecipe(undefined, profile), painter },
  onProgress: (f, m) => process.stderr.write(`\r${(f * 100).toFixed(0)}% ${m}          `)
})
for (const m of Object.values(models.index.models)) log({ model: m.name, arch: m.arch, epochLosses: m.training.epochLosses.map((l) => +l.toFixed(4)), seconds: Math.round(m.training.seconds), imagesPerSecond: Math.round(m.training.imagesPerSecond) })
const cohort = await generateCohort({ outDir: join(values.out, `cohort-${DEFAULT_COHORT_SEED}`), seed: DEFAULT_COHORT_SEED, overrides })
const slides = await readCohortPatches(cohort.dir, cohort.manifest)
log({ cohort: cohort.dir, slides: slides.length, patches: slides.reduce((n, s) => n + s.count, 0) })
for (const role of ['student', 'teacher'] as const) {
  await useBackend('wasm')
  const model = loadDemoModel(models.dir, models.index.models[role])
  const t0 = Date.now()
  const bags = await cohortFeatureBags(model, slides)
  const featureSeconds = (Date.now() - t0) / 1000
  model.dispose()
  // ABMIL on wasm, as the demo's evaluation runs it (the cpu backend takes ~20 min per 512-d model here)
  const r = await crossValidateBags(role, bags)
  log({ overrides, model: role, aucMean: +r.aucMean.toFixed(3), folds: r.aucFolds.map((a) => +a.toFixed(2)), pooled: +r.aucPooled.toFixed(3), featureSeconds: Math.round(featureSeconds), cvSeconds: Math.round(r.seconds) })
}
