// Repeated CV over two split seeds on a tiny synthetic cohort: report.json `repeats`, and the first seed's top-level
// figures and exports equal those of a single-seed evaluation with that seed (the report stays backward compatible).
import { existsSync, mkdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import h5wasm from 'h5wasm/node'
import { beforeAll, describe, expect, it } from 'vitest'
import { openDatabase, type Db } from '../../../src-main/store/database'
import { applyLabelImport, planLabelImport } from '../../../src-main/eval/slide-labels'
import { syntheticCohort } from '../../../src-main/eval/synthetic-bags'
import { verifyExport } from '../../../src-main/eval/export-dir'
import { runEvaluation, type EvaluationParams } from '../../../src-main/ml/mil/run-evaluation'
import { EvalStartRequest, type EvalReport } from '../../../src-shared/contracts/eval'
import { tempDir } from '../../helpers/tmp'

const SLIDES = 16
const PATCHES = 16
const DIM = 8
let root = ''
let db: Db
let projectId = 0

beforeAll(async () => {
  root = tempDir('eval-seeds-')
  db = openDatabase(join(root, 'tessera.db'))
  projectId = Number(db.prepare("INSERT INTO projects (name) VALUES ('seeds')").run().lastInsertRowid)
  const add = db.prepare("INSERT INTO slides (id, project_id, path, name, status) VALUES (?, ?, ?, ?, 'ok')")
  const weak = syntheticCohort({ slides: SLIDES, patches: PATCHES, dim: DIM, seed: 3, signal: 1.5, lesionFraction: 0.2, slidesPerPatient: 2 })
  const strong = syntheticCohort({ slides: SLIDES, patches: PATCHES, dim: DIM, seed: 3, signal: 4, lesionFraction: 0.2, slidesPerPatient: 2 })
  await h5wasm.ready
  let csv = 'slide,label,patient_id\n'
  for (const [model, cohort] of [['baseline', weak], ['finetuned', strong]] as const) {
    mkdirSync(join(root, 'features', model), { recursive: true })
    for (const b of cohort) {
      const f = new h5wasm.File(join(root, 'features', model, `${b.slideName}.h5`), 'w')
      f.create_dataset({ name: 'features', data: b.features, shape: [PATCHES, DIM] })
      f.create_dataset({ name: 'coords', data: BigInt64Array.from(b.coords, (v) => BigInt(v)), shape: [PATCHES, 2] }).create_attribute('patch_size_level0', 448)
      f.close()
    }
  }
  for (const b of weak) {
    add.run(b.slideId, projectId, `/slides/${b.slideName}.tiff`, `${b.slideName}.tiff`)
    csv += `${b.slideName}.tiff,${b.label === 1 ? 'tumor' : 'normal'},${b.patientId}\n`
  }
  applyLabelImport(db, planLabelImport(db, projectId, csv, 'labels.csv'))
})

const params = (out: string, extra: Partial<EvaluationParams> = {}): EvaluationParams => ({
  projectId,
  projectName: 'seeds',
  models: ['baseline', 'finetuned'],
  aggregator: 'abmil',
  folds: 4,
  seed: 5,
  out,
  force: false,
  featuresDir: join(root, 'features'),
  backend: 'cpu',
  learningRate: 1e-2,
  maxEpochs: 6,
  patience: 3,
  hidden: 8,
  attentionDim: 4,
  bootstrapResamples: 200,
  heatmaps: false,
  finetune: null,
  ...extra
})

const read = (dir: string, file: string): string => readFileSync(join(root, dir, file), 'utf8')
const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length

describe('repeated CV over seeds', () => {
  it('refuses duplicate, too many or no seeds in the request', () => {
    const base = { projectId: 1, models: ['a'] }
    expect(EvalStartRequest.safeParse({ ...base, seeds: [1, 2] }).success).toBe(true)
    expect(EvalStartRequest.safeParse({ ...base, seeds: [1, 1] }).error?.message).toMatch(/a seed is listed twice/)
    expect(EvalStartRequest.safeParse({ ...base, seeds: [] }).error?.message).toMatch(/at least one seed/)
    expect(EvalStartRequest.safeParse({ ...base, seeds: Array.from({ length: 11 }, (_, i) => i) }).error?.message).toMatch(/at most 10 seeds/)
  })

  it('reports every seed and the paired test over seeds; the first seed equals a single-seed run', async () => {
    const single = await runEvaluation(db, params(join(root, 'single')))
    expect(single.report.repeats).toBeUndefined()
    const repeated = await runEvaluation(db, params(join(root, 'repeated'), { seed: 0, seeds: [5, 9] }))
    const r = JSON.parse(read('repeated', 'report.json')) as EvalReport
    const s = JSON.parse(read('single', 'report.json')) as EvalReport

    // top level = the first seed's run, as a single-seed evaluation with that seed
    expect(r.seed).toBe(5)
    expect(r.models).toEqual(s.models)
    expect(r.comparisons).toEqual(s.comparisons)
    expect(r.mil).toEqual(s.mil)
    for (const f of ['splits.json', 'folds.csv', 'predictions.csv', 'training-curves.json']) expect(read('repeated', f)).toBe(read('single', f))
    const csvHead = (text: string): string[] => text.trim().split('\n').map((line) => line.split(',').slice(0, 15).join(','))
    expect(csvHead(read('repeated', 'report.csv'))).toEqual(csvHead(read('single', 'report.csv')))

    const rep = r.repeats!
    expect(rep.seeds).toEqual([5, 9])
    expect(rep.per_seed.map((x) => x.seed)).toEqual([5, 9])
    expect(rep.per_seed[0]!.models).toEqual(r.models.map((m) => ({ name: m.name, auc_mean: m.auc_mean, auc_pooled: m.auc_pooled })))
    const c0 = r.comparisons[0]!
    expect(rep.per_seed[0]!.comparisons).toEqual([{ a: 'baseline', b: 'finetuned', auc_diff_fold_mean: c0.auc_diff_fold_mean, p_value_fold_mean: c0.p_value_fold_mean, auc_diff: c0.auc_diff, p_value: c0.p_value }])
    // the second seed really is another split (not the first run copied)
    expect(read('repeated', 'repeats/seed-9/splits.json')).not.toBe(read('repeated', 'repeats/seed-5/splits.json'))
    expect(read('repeated', 'repeats/seed-5/predictions.csv')).toBe(read('single', 'predictions.csv'))

    rep.over_seeds.models.forEach((m, i) => {
      const fold = rep.per_seed.map((x) => x.models[i]!.auc_mean)
      expect(m.name).toBe(r.models[i]!.name)
      expect(m.auc_mean_over_seeds).toBeCloseTo(mean(fold), 12)
      expect(m.auc_sd_over_seeds).toBeCloseTo(Math.abs(fold[0]! - fold[1]!) / Math.SQRT2, 12)
      expect(m.auc_pooled_mean_over_seeds).toBeCloseTo(mean(rep.per_seed.map((x) => x.models[i]!.auc_pooled)), 12)
    })
    expect(rep.over_seeds.comparisons).toHaveLength(1)
    const over = rep.over_seeds.comparisons[0]!
    expect(over).toMatchObject({ a: 'baseline', b: 'finetuned', method: expect.stringMatching(/patient-level bootstrap over seeds/) })
    expect(over.auc_diff_mean).toBeCloseTo(mean(rep.per_seed.map((x) => x.comparisons[0]!.auc_diff)), 12)
    expect(over.p_value).toBeGreaterThan(0)
    expect(over.p_value).toBeLessThanOrEqual(1)
    expect(over.ci![0]).toBeLessThanOrEqual(over.ci![1])

    expect(repeated.table).toMatch(/over 2 seeds \(5, 9\): AUC fold mean ± sd over seeds baseline /)
    expect(repeated.table).toMatch(/over seeds, finetuned vs baseline: ΔAUC pooled, mean over seeds [+-]\d\.\d{3} \[95% CI /)
    expect(read('repeated', 'report.csv').split('\n')[0]).toMatch(/,auc_mean_over_seeds,auc_sd_over_seeds,auc_pooled_mean_over_seeds,auc_pooled_sd_over_seeds$/)
    expect(read('repeated', 'report.html')).toContain('Repeated cross-validation over 2 seeds')
    expect(read('single', 'report.html')).not.toContain('Repeated cross-validation')
    expect(existsSync(join(root, 'single', 'repeats'))).toBe(false)
    expect(verifyExport(join(root, 'repeated'))).toEqual([])
  })
})
