// The demo's cached cohort and models for the diagnostic scripts: where they are (TESSERA_DEMO_CACHE or .cache/demo),
// the models index (hash-verified) and the cohort manifest; a clear error when the demo has not been run yet.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { DEFAULT_COHORT_SEED, type CohortManifest } from '../../src-main/cohort/generate'
import { readDemoModels, type DemoModelsIndex } from '../../src-main/ml/demo/demo-models'

export interface DemoCache {
  modelsDir: string
  cohortDir: string
  index: DemoModelsIndex
  manifest: CohortManifest
}

export function openDemoCache(): DemoCache {
  const cacheDir = process.env['TESSERA_DEMO_CACHE'] ?? '.cache/demo'
  const modelsDir = join(cacheDir, 'models')
  const cohortDir = join(cacheDir, `cohort-${DEFAULT_COHORT_SEED}`)
  const index = readDemoModels(modelsDir)
  if (!index) throw new Error(`no demo models in ${modelsDir} (run npm run demo first)`)
  const manifest = JSON.parse(readFileSync(join(cohortDir, 'cohort.json'), 'utf8')) as CohortManifest
  return { modelsDir, cohortDir, index, manifest }
}
