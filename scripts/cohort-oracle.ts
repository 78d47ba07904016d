// Cohort diagnostic: ABMIL / mean-pool CV on ORACLE per-patch features (the generator's ground truth), to tell apart
// "the cohort cannot be separated by per-patch information" from "the models' features miss the per-patch cue".
// Run: node --import tsx scripts/cohort-oracle.ts   (about 1 min; paints the default cohort in memory, writes nothing)
import { DEFAULT_COHORT_SEED } from '../src-main/cohort/generate'
import { drawStainStyle, paintSlide } from '../src-main/cohort/painter'
import { patientSeed, planCohort } from '../src-main/cohort/plan'
import { Prng } from '../src-main/cohort/prng'
import { DEFAULT_PARAMS, type CohortRecipe } from '../src-main/cohort/recipe'
import { TRUTH_CHANNELS } from '../src-main/cohort/truth'
import { useBackend } from '../src-main/ml/backend'
import { crossValidateBags } from '../src-main/ml/demo/calibrate'
import type { FeatureBag } from '../src-main/ml/mil/cross-validation'

const FEATURE_SETS: Record<string, readonly string[]> = {
  atypia_patch: ['atypia_mean', 'atypia_max'],
  atypia_context: ['atypia_context3', 'atypia_context5'],
  all: TRUTH_CHANNELS
}

await useBackend('wasm')
const recipe = { name: 'oracle', seed: DEFAULT_COHORT_SEED, params: DEFAULT_PARAMS, reasons: {} } as unknown as CohortRecipe
const painted = planCohort(recipe).map((s) => {
  const style = drawStainStyle(new Prng(patientSeed(DEFAULT_COHORT_SEED, s.patientIndex)), DEFAULT_PARAMS)
  return { s, truth: paintSlide(DEFAULT_PARAMS, s.seed, s.label, style).truth }
})
const channel = (name: string): number => TRUTH_CHANNELS.indexOf(name as (typeof TRUTH_CHANNELS)[number])

for (const [name, channels] of Object.entries(FEATURE_SETS)) {
  const bags: FeatureBag[] = painted.map(({ s, truth }, i) => {
    const C = truth.channels.length
    const keep: number[] = []
    for (let k = 0; k < truth.cols * truth.rows; k++) if ((truth.values[k * C + channel('tissue_fraction')] as number) >= 0.5) keep.push(k)
    const features = new Float32Array(keep.length * channels.length)
    keep.forEach((k, r) => channels.forEach((c, j) => (features[r * channels.length + j] = truth.values[k * C + channel(c)] as number)))
    return { slideId: i + 1, slideName: s.slideId, label: s.label, patientId: s.patientId, coords: new Int32Array(keep.length * 2), features, dim: channels.length }
  })
  for (const aggregator of ['abmil', 'mean'] as const) {
    const r = await crossValidateBags(name, bags, 7, aggregator)
    console.log(JSON.stringify({ features: name, aggregator, aucMean: +r.aucMean.toFixed(3), folds: r.aucFolds.map((a) => +a.toFixed(2)), pooled: +r.aucPooled.toFixed(3) }))
  }
}
