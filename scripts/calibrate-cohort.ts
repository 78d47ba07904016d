// Cohort calibration with the BASELINE student and the teacher only (never a fine-tuned model): build the demo models
// for a candidate cohort recipe, generate the cohort, then ABMIL patient-level 5-fold CV (seed 7) on each model's
// features. Prints one JSON line per model. Writes only under --out.
// Run: node --import tsx scripts/calibrate-cohort.ts --out <dir> [--overrides '{"atypiaPeak":[0.8,1]}']   (~12 min)
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { DEFAULT_COHORT_SEED, generateCohort } from '../src-main/cohort/generate'
import { DEFAULT_PARAMS, type CohortParams } from '../src-main/cohort/recipe'
import { useBackend } from '../src-main/ml/backend'
import { cohortFeatureBags, crossValidateBags, readCohortPatches } from '../src-main/ml/demo/calibrate'
import { buildDemoModels, demoModelsRecipe, loadDemoModel } from '../src-main/ml/demo/demo-models'

const { values } = parseArgs({ options: { out: { type: 'string' }, overrides: { type: 'string', default: '{}' } } })
if (!values.out) throw new Error('--out <dir> is required')
const overrides = JSON.parse(values.overrides ?? '{}') as Partial<CohortParams>
const painter: CohortParams = { ...DEFAULT_PARAMS, ...overrides }
await useBackend('wasm')
const started = Date.now()
const models = await buildDemoModels({ outDir: join(values.out, 'models'), recipe: { ...demoModelsRecipe(), painter } })
const cohort = await generateCohort({ outDir: join(values.out, 'cohort'), seed: DEFAULT_COHORT_SEED, overrides })
const slides = await readCohortPatches(cohort.dir, cohort.manifest)
for (const role of ['student', 'teacher'] as const) {
  await useBackend('wasm')
  const model = loadDemoModel(models.dir, models.index.models[role])
  const bags = await cohortFeatureBags(model, slides)
  model.dispose()
  await useBackend('cpu')
  const r = await crossValidateBags(role, bags)
  console.log(JSON.stringify({ overrides, model: role, aucMean: +r.aucMean.toFixed(3), folds: r.aucFolds.map((a) => +a.toFixed(2)), pooled: +r.aucPooled.toFixed(3), seconds: Math.round(r.seconds), totalSeconds: Math.round((Date.now() - started) / 1000) }))
}
