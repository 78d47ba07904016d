// Demo cohort generator: determinism, labels CSV, patients, balance, readable pyramidal files, reuse by recipe hash.
import { execFileSync } from 'node:child_process'
import { cpSync, existsSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import sharp from 'sharp'
import { beforeAll, describe, expect, it } from 'vitest'
import { generateCohort, readCohort, TRUTH_JSON, type GenerateCohortResult } from '../../../src-main/cohort/generate'
import { loadPatchTruth } from '../../../src-main/ml/mcm/patch-truth'
import { planCohort } from '../../../src-main/cohort/plan'
import { makeRecipe, recipeHash } from '../../../src-main/cohort/recipe'
import { tempDir } from '../../helpers/tmp'

// small canvases keep the suite fast; the painting code path is the same as for the demo's 1536² slides
const SMALL = { width: 512, height: 512, slides: 6, patientsWithTwoSlides: 2 }

function parseCsv(text: string): Record<string, string>[] {
  const [header, ...rows] = text.trim().split('\n')
  const cols = header!.split(',')
  return rows.map((r) => Object.fromEntries(r.split(',').map((v, i) => [cols[i]!, v])))
}

describe('cohort plan', () => {
  it('balances labels, keeps both slides of a patient in one class, and gives every slide its own seed', () => {
    const plan = planCohort(makeRecipe(7))
    expect(plan).toHaveLength(40)
    expect(plan.filter((s) => s.label === 1)).toHaveLength(20)
    const byPatient = new Map<string, number[]>()
    for (const s of plan) byPatient.set(s.patientId, [...(byPatient.get(s.patientId) ?? []), s.label])
    const pairs = [...byPatient.values()].filter((l) => l.length === 2)
    expect(pairs).toHaveLength(8)
    expect(byPatient.size).toBe(32)
    for (const labels of pairs) expect(labels[0]).toBe(labels[1])
    expect(new Set(plan.map((s) => s.seed)).size).toBe(40)
  })

  it('rejects impossible layouts with a clear message', () => {
    expect(() => planCohort(makeRecipe(1, { slides: 10, patientsWithTwoSlides: 6 }))).toThrow(/patientsWithTwoSlides/)
    expect(() => makeRecipe(-1)).toThrow(/seed/)
  })

  it('hashes only what decides the bytes', () => {
    const a = makeRecipe(3)
    expect(recipeHash(a)).toBe(recipeHash({ ...a, name: 'renamed' }))
    expect(recipeHash(makeRecipe(4))).not.toBe(recipeHash(a))
    expect(recipeHash(makeRecipe(3, { atypiaPeak: [0.5, 0.9] }))).not.toBe(recipeHash(a))
  })
})

describe('generateCohort', () => {
  let first: GenerateCohortResult
  let second: GenerateCohortResult
  beforeAll(async () => {
    first = await generateCohort({ outDir: tempDir('cohort-a-'), seed: 11, overrides: SMALL })
    second = await generateCohort({ outDir: tempDir('cohort-b-'), seed: 11, overrides: SMALL })
  }, 120_000)

  it('is deterministic: the same seed gives byte-identical slides and CSV', () => {
    expect(first.reused).toBe(false)
    expect(first.manifest.recipeHash).toBe(second.manifest.recipeHash)
    expect(first.manifest.slides.map((s) => s.sha256)).toEqual(second.manifest.slides.map((s) => s.sha256))
    for (const s of first.manifest.slides) {
      expect(readFileSync(join(first.dir, s.file)).equals(readFileSync(join(second.dir, s.file)))).toBe(true)
    }
    expect(readFileSync(first.labelsCsvPath, 'utf8')).toBe(readFileSync(second.labelsCsvPath, 'utf8'))
    // slides differ from each other
    expect(new Set(first.manifest.slides.map((s) => s.sha256)).size).toBe(first.manifest.slides.length)
  })

  it('writes a valid labels CSV: header, one row per slide, existing files, balanced 0/1 labels, shared patients', () => {
    const rows = parseCsv(readFileSync(first.labelsCsvPath, 'utf8'))
    expect(Object.keys(rows[0]!)).toEqual(['slide_id', 'file', 'label', 'patient_id'])
    expect(rows).toHaveLength(SMALL.slides)
    expect(new Set(rows.map((r) => r.slide_id)).size).toBe(rows.length)
    for (const r of rows) {
      expect(['0', '1']).toContain(r.label)
      expect(existsSync(join(first.dir, r.file!))).toBe(true)
      expect(r.patient_id).toMatch(/^P\d{3}$/)
    }
    expect(rows.filter((r) => r.label === '1')).toHaveLength(SMALL.slides / 2)
    const patients = new Map<string, string[]>()
    for (const r of rows) patients.set(r.patient_id!, [...(patients.get(r.patient_id!) ?? []), r.label!])
    const twoSlide = [...patients.values()].filter((l) => l.length === 2)
    expect(twoSlide).toHaveLength(SMALL.patientsWithTwoSlides)
    for (const l of twoSlide) expect(new Set(l).size).toBe(1)
  })

  it('paints extended lesions for label 1 and more, smaller foci for label 0', () => {
    for (const s of first.manifest.slides) {
      const radius = Math.max(...s.atypia.map((b) => b.radius))
      if (s.label === 1) expect(radius).toBeGreaterThan(1.5 * 64)
      else expect(radius).toBeLessThan(1.0 * 64)
    }
  })

  it('writes tiled pyramidal TIFFs that sharp decodes, with levels and a tissue-on-glass image', async () => {
    const s = first.manifest.slides[0]!
    const path = join(first.dir, s.file)
    const meta = await sharp(path).metadata()
    expect(meta.width).toBe(512)
    expect(meta.height).toBe(512)
    expect(meta.pages).toBe(s.levels.length)
    expect(s.levels.map((l) => l.width)).toEqual([512, 256])
    const { data, info } = await sharp(path, { page: 0 }).extract({ left: 0, top: 0, width: 512, height: 512 }).raw().toBuffer({ resolveWithObject: true })
    expect(info.channels).toBe(3)
    let glass = 0
    let tissue = 0
    for (let k = 0; k < data.length; k += 3) {
      const mean = (data[k]! + data[k + 1]! + data[k + 2]!) / 3
      if (mean > 215) glass++
      else if (mean < 200) tissue++
    }
    const px = data.length / 3
    expect(glass / px).toBeGreaterThan(0.1)
    expect(tissue / px).toBeGreaterThan(0.3)
  })

  it.skipIf(!existsSync('/usr/bin/openslide-show-properties'))('is read by OpenSlide as an Aperio slide with MPP', () => {
    const out = execFileSync('/usr/bin/openslide-show-properties', [join(first.dir, first.manifest.slides[0]!.file)], { encoding: 'utf8' })
    expect(out).toMatch(/openslide\.vendor: 'aperio'/)
    expect(out).toMatch(/openslide\.mpp-x: '1'/)
    expect(out).toMatch(/openslide\.level-count: '2'/)
  })

  it('writes the per-patch ground truth of every slide (truth.json, for the truth probe) and is not reused without it', async () => {
    const truth = loadPatchTruth(join(first.dir, TRUTH_JSON), 'atypia_mean')
    expect(truth.slides().sort()).toEqual(first.manifest.slides.map((s) => s.slideId).sort())
    const s0 = first.manifest.slides[0]!
    const ps = first.manifest.recipe.params.patchSize
    const values: number[] = []
    for (let y = ps / 2; y < s0.levels[0]!.height; y += ps) for (let x = ps / 2; x < s0.levels[0]!.width; x += ps) values.push(truth.valueAt(s0.slideId, x, y) as number)
    expect(values.every((v) => Number.isFinite(v) && v >= 0 && v <= 1)).toBe(true)
    // a painted atypical region's centre has atypia in its patch
    const bump = s0.atypia[0]!
    expect(truth.valueAt(s0.slideId, bump.x, bump.y)).toBeGreaterThan(0)
    const copy = tempDir('cohort-no-truth-')
    cpSync(first.dir, copy, { recursive: true })
    expect(readCohort(copy)).not.toBeNull()
    rmSync(join(copy, TRUTH_JSON))
    expect(readCohort(copy)).toBeNull()
  })

  it('reuses a cohort with the same recipe hash and regenerates when the recipe changes', async () => {
    const again = await generateCohort({ outDir: first.dir, seed: 11, overrides: SMALL })
    expect(again.reused).toBe(true)
    expect(again.manifest.slides.map((s) => s.sha256)).toEqual(first.manifest.slides.map((s) => s.sha256))
    const changed = await generateCohort({ outDir: first.dir, seed: 12, overrides: { ...SMALL, slides: 4, patientsWithTwoSlides: 1 } })
    expect(changed.reused).toBe(false)
    expect(changed.manifest.slides).toHaveLength(4)
  }, 60_000)
})

describe('committed recipe', () => {
  it('resources/demo/cohort-recipe.json matches the code defaults (regenerate it when the defaults change)', async () => {
    const { DEFAULT_COHORT_SEED } = await import('../../../src-main/cohort/generate')
    const committed = JSON.parse(readFileSync(join(__dirname, '../../../resources/demo/cohort-recipe.json'), 'utf8')) as Record<string, unknown>
    const recipe = makeRecipe(DEFAULT_COHORT_SEED)
    expect(committed).toEqual({ ...recipe, recipeHash: recipeHash(recipe) })
  })
})
