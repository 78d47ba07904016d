// Tissue methods compared: patches kept (min-tissue 0.5) and mask coverage per method on a synthetic H&E slide and a
// synthetic pale IHC slide (src-main/slides/synth), and the demo cohort's grid under the legacy saturation mask vs the
// default method (does the demo keep its tissue grid?). No database; prints JSON.
// Run: node --import tsx scripts/tissue-methods.ts [outDir]   (~1 min: writes 2 slides + the 40-slide demo cohort)
import { mkdirSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { generateCohort, DEFAULT_COHORT_SEED } from '../src-main/cohort/generate'
import { openSlide } from '../src-main/slides/registry'
import { writeTestSlide } from '../src-main/slides/synth/write-test-slide'
import { computeGrid } from '../src-main/tissue/grid-store'
import { DEFAULT_TISSUE_METHOD, tissueFraction, tissueParamsFor } from '../src-main/tissue/tissue-mask'
import { TISSUE_METHODS, type GridParams, type TissueMethod } from '../src-shared/domain/grid'

const out = process.argv[2] ?? mkdtempSync(join(tmpdir(), 'tissue-methods-'))
mkdirSync(out, { recursive: true })
const pixelMethods = TISSUE_METHODS.filter((m): m is Exclude<TissueMethod, 'geojson'> => m !== 'geojson')

async function count(path: string, grid: GridParams, method: TissueMethod): Promise<{ patches: number; coverage: number; cells: Set<string> }> {
  const source = await openSlide(path)
  try {
    const { patches, mask } = await computeGrid(source, 'x', null, grid, tissueParamsFor({ method }))
    return { patches: patches.length, coverage: Math.round(tissueFraction(mask) * 1e4) / 1e4, cells: new Set(patches.map((p) => `${p.col},${p.row}`)) }
  } finally {
    await source.close()
  }
}

const synth: Record<string, Record<string, { patches: number; coverage: number }>> = {}
const grid: GridParams = { targetMpp: 0.5, patchSize: 64, overlap: 0, minTissue: 0.5 }
for (const stain of ['he', 'ihc'] as const) {
  const path = join(out, `${stain}.tiff`)
  await writeTestSlide({ path, format: 'generic-tiff', width: 3072, height: 2048, seed: 7, mpp: 0.5, stain })
  synth[stain] = {}
  for (const m of pixelMethods) {
    const r = await count(path, grid, m)
    synth[stain][m] = { patches: r.patches, coverage: r.coverage }
  }
}

const cohort = await generateCohort({ outDir: join(out, 'cohort'), seed: DEFAULT_COHORT_SEED })
const p = cohort.manifest.recipe.params
const demoGrid: GridParams = { targetMpp: p.mpp, patchSize: p.patchSize, overlap: 0, minTissue: 0.5 }
let legacy = 0
let current = 0
let differ = 0
for (const s of cohort.manifest.slides) {
  const path = join(cohort.dir, s.file)
  const a = await count(path, demoGrid, 'otsu-saturation')
  const b = await count(path, demoGrid, DEFAULT_TISSUE_METHOD)
  legacy += a.patches
  current += b.patches
  if (a.cells.size !== b.cells.size || [...a.cells].some((c) => !b.cells.has(c))) differ++
}
console.log(
  JSON.stringify(
    { synthetic: { grid, slides: synth }, demoCohort: { grid: demoGrid, slides: cohort.manifest.slides.length, patches: { 'otsu-saturation': legacy, [DEFAULT_TISSUE_METHOD]: current }, slidesWhoseGridChanges: differ } },
    null,
    1
  )
)
