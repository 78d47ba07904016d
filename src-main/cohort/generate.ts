// Demo cohort generator: paints and writes every slide, the labels CSV, truth.json (per-patch ground truth, for
// measurement only) and cohort.json (recipe, hash, file hashes).
// Deterministic from the recipe seed; reuses an existing cohort with the same recipe hash (checks sizes only: fast).
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { AtypiaBump } from './atypia'
import { drawStainStyle, paintSlide } from './painter'
import { patientSeed, planCohort } from './plan'
import { Prng } from './prng'
import { makeRecipe, recipeHash, type CohortParams, type CohortRecipe } from './recipe'
import { writeCohortSlide } from './slide-writer'

export interface GenerateCohortOptions {
  outDir: string
  seed?: number
  /** shorthand for overrides.slides (20–40 for the demo) */
  slides?: number
  overrides?: Partial<CohortParams>
  /** regenerate even when a cohort with the same recipe hash exists */
  force?: boolean
  signal?: AbortSignal
  onProgress?: (done: number, total: number, message: string) => void
}

export interface CohortSlideEntry {
  slideId: string
  file: string
  label: 0 | 1
  patientId: string
  bytes: number
  sha256: string
  levels: { width: number; height: number }[]
  /** the atypical regions painted into this slide (level-0 px); for checking heatmaps, never used as labels */
  atypia: AtypiaBump[]
}

export interface CohortManifest {
  format: 'tessera-demo-cohort/1'
  recipe: CohortRecipe
  recipeHash: string
  labelsCsv: string
  slides: CohortSlideEntry[]
  note: string
}

export interface GenerateCohortResult {
  dir: string
  manifest: CohortManifest
  labelsCsvPath: string
  /** true when an existing cohort with the same recipe hash was reused */
  reused: boolean
  seconds: number
}

export const COHORT_MANIFEST = 'cohort.json'
export const LABELS_CSV = 'labels.csv'
/**
 * Per-patch ground truth of every slide (`tessera-patch-truth/1`, ml/mcm/patch-truth.ts) on the painter's level-0
 * lattice of patchSize cells: what the truth probe reads out of a student's features. MEASUREMENT only: never a label,
 * never a training target.
 */
export const TRUTH_JSON = 'truth.json'
export const DEFAULT_COHORT_SEED = 20261206

function writeAtomic(path: string, data: string | Uint8Array): void {
  const tmp = `${path}.tmp-${process.pid}`
  writeFileSync(tmp, data)
  renameSync(tmp, path)
}

/** Read a cohort manifest and check that every slide file is present with its recorded size; null when not reusable. */
export function readCohort(dir: string): CohortManifest | null {
  const path = join(dir, COHORT_MANIFEST)
  if (!existsSync(path)) return null
  let manifest: CohortManifest
  try {
    manifest = JSON.parse(readFileSync(path, 'utf8')) as CohortManifest
  } catch {
    return null
  }
  if (manifest.format !== 'tessera-demo-cohort/1' || !Array.isArray(manifest.slides)) return null
  for (const s of manifest.slides) {
    const f = join(dir, s.file)
    if (!existsSync(f) || statSync(f).size !== s.bytes) return null
  }
  if (!existsSync(join(dir, manifest.labelsCsv)) || !existsSync(join(dir, TRUTH_JSON))) return null
  return manifest
}

export function labelsCsv(slides: Pick<CohortSlideEntry, 'slideId' | 'file' | 'label' | 'patientId'>[]): string {
  return ['slide_id,file,label,patient_id', ...slides.map((s) => `${s.slideId},${s.file},${s.label},${s.patientId}`)].join('\n') + '\n'
}

/**
 * Generate (or reuse) the demo cohort. Cost: ~1–2 s per slide on one core (painting ~0.9 s, JPEG tiles ~0.3 s);
 * 30 slides ≈ 1 minute, ~1 MB per slide.
 */
export async function generateCohort(o: GenerateCohortOptions): Promise<GenerateCohortResult> {
  const started = Date.now()
  const overrides = { ...(o.overrides ?? {}), ...(o.slides !== undefined ? { slides: o.slides } : {}) }
  const recipe = makeRecipe(o.seed ?? DEFAULT_COHORT_SEED, overrides)
  const hash = recipeHash(recipe)
  const dir = o.outDir
  const labelsPath = join(dir, LABELS_CSV)
  if (!o.force) {
    const existing = readCohort(dir)
    if (existing && existing.recipeHash === hash) {
      o.onProgress?.(1, 1, `reusing cohort in ${dir} (recipe ${hash.slice(0, 12)})`)
      return { dir, manifest: existing, labelsCsvPath: labelsPath, reused: true, seconds: (Date.now() - started) / 1000 }
    }
  }
  const plan = planCohort(recipe)
  mkdirSync(join(dir, 'slides'), { recursive: true })
  const entries: CohortSlideEntry[] = []
  const truth: Record<string, { cols: number; rows: number; values: number[] }> = {}
  let truthChannels: readonly string[] = []
  for (const [i, s] of plan.entries()) {
    if (o.signal?.aborted) throw new Error('cohort generation cancelled')
    o.onProgress?.(i / plan.length, plan.length, `painting ${s.slideId} (${i + 1}/${plan.length})`)
    const style = drawStainStyle(new Prng(patientSeed(recipe.seed, s.patientIndex)), recipe.params)
    const painted = paintSlide(recipe.params, s.seed, s.label, style)
    const path = join(dir, s.file)
    const written = await writeCohortSlide(path, painted.rgb, recipe.params, s.slideId)
    truthChannels = painted.truth.channels
    truth[s.slideId] = { cols: painted.truth.cols, rows: painted.truth.rows, values: Array.from(painted.truth.values, (v) => Math.round(v * 1e4) / 1e4) }
    const bytes = readFileSync(path)
    entries.push({
      slideId: s.slideId,
      file: s.file,
      label: s.label,
      patientId: s.patientId,
      bytes: bytes.length,
      sha256: createHash('sha256').update(bytes).digest('hex'),
      levels: written.levels,
      atypia: painted.bumps.map((b) => ({ x: Math.round(b.x), y: Math.round(b.y), radius: Math.round(b.radius), peak: Number(b.peak.toFixed(3)) }))
    })
  }
  writeAtomic(labelsPath, labelsCsv(entries))
  writeAtomic(
    join(dir, TRUTH_JSON),
    JSON.stringify({
      format: 'tessera-patch-truth/1',
      channels: truthChannels,
      cellSize: recipe.params.patchSize,
      note: 'Ground truth of the synthetic painter per level-0 cell (slide keys = slide names). For measurement only (truth probe); never a label or a training target.',
      slides: truth
    }) + '\n'
  )
  const manifest: CohortManifest = {
    format: 'tessera-demo-cohort/1',
    recipe,
    recipeHash: hash,
    labelsCsv: LABELS_CSV,
    slides: entries,
    note: 'Synthetic slides painted by Tessera\'s generator (src-main/cohort); not real tissue, not for any clinical use.'
  }
  // written last: its presence with matching sizes marks a complete cohort
  writeAtomic(join(dir, COHORT_MANIFEST), JSON.stringify(manifest, null, 2) + '\n')
  o.onProgress?.(1, plan.length, `cohort written to ${dir}`)
  return { dir, manifest, labelsCsvPath: labelsPath, reused: false, seconds: (Date.now() - started) / 1000 }
}
