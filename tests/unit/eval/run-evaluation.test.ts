// End to end on a synthetic cohort (labels decided by a few lesion patches): labels CSV → TRIDENT HDF5 features for a
// weak "baseline" and a stronger "finetuned" encoder → ABMIL CV → report, heatmaps, manifest, overwrite rules.
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import h5wasm from 'h5wasm/node'
import { beforeAll, describe, expect, it } from 'vitest'
import { openDatabase, type Db } from '../../../src-main/store/database'
import { applyLabelImport, planLabelImport } from '../../../src-main/eval/slide-labels'
import { syntheticCohort } from '../../../src-main/eval/synthetic-bags'
import { verifyExport } from '../../../src-main/eval/export-dir'
import { readHeatmapH5 } from '../../../src-main/eval/heatmaps'
import { runEvaluation, type EvaluationParams } from '../../../src-main/ml/mil/run-evaluation'
import type { EvalReport } from '../../../src-main/eval/report'
import { tempDir } from '../../helpers/tmp'

const SLIDES = 20
let root = ''
let db: Db
let projectId = 0

async function writeTrident(file: string, features: Float32Array, dim: number, coords: Int32Array, encoder: string): Promise<void> {
  await h5wasm.ready
  const f = new h5wasm.File(file, 'w')
  const n = features.length / dim
  f.create_dataset({ name: 'features', data: features, shape: [n, dim] }).create_attribute('encoder', encoder)
  const c = f.create_dataset({ name: 'coords', data: BigInt64Array.from(coords, (v) => BigInt(v)), shape: [n, 2] })
  c.create_attribute('patch_size_level0', 448)
  c.create_attribute('patch_size', 224)
  f.close()
}

beforeAll(async () => {
  root = tempDir('eval-e2e-')
  db = openDatabase(join(root, 'tessera.db'))
  projectId = Number(db.prepare("INSERT INTO projects (name) VALUES ('cohort')").run().lastInsertRowid)
  const add = db.prepare("INSERT INTO slides (id, project_id, path, name, status) VALUES (?, ?, ?, ?, 'ok')")
  // Same slides and lesions for both encoders (same cohort seed); the fine-tuned one separates lesions better.
  const weak = syntheticCohort({ slides: SLIDES, patches: 25, dim: 12, seed: 1, signal: 1.2, lesionFraction: 0.2, slidesPerPatient: 2 })
  const strong = syntheticCohort({ slides: SLIDES, patches: 25, dim: 12, seed: 1, signal: 4, lesionFraction: 0.2, slidesPerPatient: 2 })
  const { mkdirSync } = await import('node:fs')
  for (const m of ['baseline', 'finetuned']) mkdirSync(join(root, 'features', m), { recursive: true })
  let csv = 'slide,label,patient_id\n'
  for (let i = 0; i < SLIDES; i++) {
    const b = weak[i]!
    add.run(b.slideId, projectId, `/slides/${b.slideName}.tiff`, `${b.slideName}.tiff`)
    await writeTrident(join(root, 'features', 'baseline', `${b.slideName}.h5`), b.features, b.dim, b.coords, 'baseline')
    await writeTrident(join(root, 'features', 'finetuned', `${b.slideName}.h5`), strong[i]!.features, b.dim, b.coords, 'finetuned')
    csv += `${b.slideName}.tiff,${b.label === 1 ? 'tumor' : 'normal'},${b.patientId}\n`
  }
  applyLabelImport(db, planLabelImport(db, projectId, csv, 'labels.csv'))
})

function params(out: string, extra: Partial<EvaluationParams> = {}): EvaluationParams {
  return {
    projectId,
    projectName: 'cohort',
    models: ['baseline', 'finetuned'],
    aggregator: 'abmil',
    folds: 5,
    seed: 17,
    out,
    force: false,
    featuresDir: join(root, 'features'),
    backend: 'cpu',
    learningRate: 5e-3,
    maxEpochs: 12,
    patience: 4,
    hidden: 16,
    attentionDim: 8,
    bootstrapResamples: 300,
    heatmaps: true,
    compute: { baseline: { parameters: 11_000_000, gflops_per_patch: 1.8, patches_per_s: 120 } },
    finetune: null,
    ...extra
  }
}

const numbers = (r: EvalReport): unknown => ({ models: r.models, comparisons: r.comparisons })

describe('runEvaluation', () => {
  it('writes the report contract, heatmaps and a verified manifest', async () => {
    // (identical reruns are checked through the CLI in tests/integration/eval/cli-eval.test.ts)
    const a = await runEvaluation(db, params(join(root, 'out-a')))
    expect(numbers(a.report)).toEqual(numbers(JSON.parse(readFileSync(join(root, 'out-a', 'report.json'), 'utf8')) as EvalReport))

    const report = JSON.parse(readFileSync(join(root, 'out-a', 'report.json'), 'utf8')) as EvalReport
    expect(report.models.map((m) => [m.name, m.role])).toEqual([
      ['baseline', 'baseline'],
      ['finetuned', 'finetuned']
    ])
    for (const m of report.models) {
      expect(m.folds).toHaveLength(5)
      for (const [lo, hi] of [m.auc_ci, m.auc_pooled_ci]) {
        expect(lo).toBeLessThanOrEqual(hi)
        expect(lo).toBeGreaterThanOrEqual(0)
        expect(hi).toBeLessThanOrEqual(1)
      }
      expect(typeof m.balanced_accuracy_mean).toBe('number')
    }
    expect(report.models[0]!.gflops_per_patch).toBe(1.8)
    expect(report.models[1]!.auc_pooled).toBeGreaterThan(0.85)
    expect(report.comparisons).toHaveLength(1)
    expect(report.comparisons[0]).toMatchObject({ a: 'baseline', b: 'finetuned', method: 'DeLong' })
    expect(report.comparisons[0]!.p_value).toBeGreaterThanOrEqual(0)
    expect(report.finetune).toBeNull()
    expect(Object.keys(report.timings)).toEqual(expect.arrayContaining(['labels', 'load_features', 'splits', 'cv_baseline', 'cv_finetuned', 'statistics', 'exports']))
    expect(a.table).toContain('AUC 95% CI')

    expect(verifyExport(join(root, 'out-a'))).toEqual([])
    const html = readFileSync(join(root, 'out-a', 'report.html'), 'utf8')
    expect(html).toContain('<svg class="roc"')
    expect(html).not.toMatch(/<script|src="http|href="http/)

    // heatmaps: GeoJSON per RFC 7946 basics, HDF5 coords + scores read back
    const index = JSON.parse(readFileSync(join(root, 'out-a', 'heatmaps', 'index.json'), 'utf8')) as { model: string; geojson: string; h5: string }[]
    expect(index).toHaveLength(2 * SLIDES)
    const gj = JSON.parse(readFileSync(join(root, 'out-a', index[0]!.geojson), 'utf8')) as {
      type: string
      features: { type: string; geometry: { type: string; coordinates: number[][][] }; properties: { measurements: Record<string, number> } }[]
    }
    expect(gj.type).toBe('FeatureCollection')
    expect(gj.features).toHaveLength(25)
    for (const f of gj.features) {
      expect(f.type).toBe('Feature')
      expect(f.geometry.type).toBe('Polygon')
      const ring = f.geometry.coordinates[0]!
      expect(ring.length).toBeGreaterThanOrEqual(4)
      expect(ring[0]).toEqual(ring[ring.length - 1])
      // exterior ring counter-clockwise (positive shoelace area), RFC 7946 §3.1.6
      let area = 0
      for (let i = 0; i + 1 < ring.length; i++) area += ring[i]![0]! * ring[i + 1]![1]! - ring[i + 1]![0]! * ring[i]![1]!
      expect(area).toBe(2 * 448 * 448)
      expect(Number.isFinite(f.properties.measurements['abmil score'])).toBe(true)
    }
    const h = await readHeatmapH5(join(root, 'out-a', index[0]!.h5))
    expect(h.coords).toHaveLength(50)
    expect(h.scores.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 4)
    expect(h.patchSizeLevel0).toBe(448)
    expect(h.probabilities).toHaveLength(2)
  })

  it('refuses to overwrite an export without force, replaces it with force, and leaves no temp folder on failure', async () => {
    const out = join(root, 'out-a')
    await expect(runEvaluation(db, params(out))).rejects.toThrow(/already exists.*--force/)
    await expect(runEvaluation(db, params(join(root, 'out-c'), { models: ['baseline', 'nope'] }))).rejects.toThrow(/features folder .*nope does not exist/)
    expect(existsSync(join(root, 'out-c'))).toBe(false)
    const { readdirSync } = await import('node:fs')
    expect(readdirSync(root).filter((n) => n.includes('.tmp-'))).toEqual([])
    const r = await runEvaluation(db, params(out, { force: true, models: ['finetuned'], heatmaps: false }))
    expect(r.report.models).toHaveLength(1)
    expect(existsSync(join(out, 'heatmaps'))).toBe(false)
    expect(verifyExport(out)).toEqual([])
  })
})
