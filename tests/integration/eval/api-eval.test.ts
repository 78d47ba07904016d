// The eval API through the core's dispatcher: labels import (text), list, start refusals, report and heatmap reads
// of a finished evaluation, and the fine-tune summary taken from an MCM+KD run.
import { join } from 'node:path'
import * as tf from '@tensorflow/tfjs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createCore, type Core } from '../../../src-main/core/core'
import { McmConfig } from '../../../src-shared/contracts/train'
import type { EvalReport, HeatmapData, LabelImportResult, SlideLabel } from '../../../src-shared/contracts/eval'
import { finetuneSummary } from '../../../src-main/api/handlers/eval'
import { runEvaluation } from '../../../src-main/ml/mil/run-evaluation'
import { syntheticCohort } from '../../../src-main/eval/synthetic-bags'
import { ApiError } from '../../../src-main/api/errors'
import { tempDir } from '../../helpers/tmp'
import { mkdirSync } from 'node:fs'
import h5wasm from 'h5wasm/node'

let core: Core
let root = ''
let projectId = 0

beforeAll(async () => {
  root = tempDir('eval-api-')
  core = createCore({ dbPath: join(root, 'tessera.db'), door: 'cli' })
  projectId = core.projects.create('api').id
  const bags = syntheticCohort({ slides: 10, patches: 12, dim: 6, seed: 4, signal: 4 })
  mkdirSync(join(root, 'f', 'enc'), { recursive: true })
  await h5wasm.ready
  const add = core.db.prepare("INSERT INTO slides (project_id, path, name, status) VALUES (?, ?, ?, 'ok')")
  for (const b of bags) {
    add.run(projectId, `/s/${b.slideName}.svs`, `${b.slideName}.svs`)
    const f = new h5wasm.File(join(root, 'f', 'enc', `${b.slideName}.h5`), 'w')
    f.create_dataset({ name: 'features', data: b.features, shape: [12, 6] })
    f.create_dataset({ name: 'coords', data: BigInt64Array.from(b.coords, (v) => BigInt(v)), shape: [12, 2] })
    f.close()
  }
  const csv = 'slide,label\n' + bags.map((b) => `${b.slideName},${b.label ? 'pos' : 'neg'}`).join('\n')
  const dry = (await core.dispatch('labels.import', { projectId, csvText: csv, dryRun: true })) as LabelImportResult
  expect(dry).toMatchObject({ dryRun: true, imported: 0, task: 'binary' })
  expect((await core.dispatch('labels.list', { projectId })) as SlideLabel[]).toEqual([])
  await core.dispatch('labels.import', { projectId, csvText: csv })
})

afterAll(() => core?.close())

const code = async (p: Promise<unknown>): Promise<string> => {
  try {
    await p
    return 'ok'
  } catch (e) {
    return e instanceof ApiError ? `${e.code}: ${e.message}` : String(e)
  }
}

describe('eval API', () => {
  it('lists labels and refuses bad imports with the row in the message', async () => {
    expect(((await core.dispatch('labels.list', { projectId })) as SlideLabel[]).length).toBe(10)
    await expect(code(core.dispatch('labels.import', { projectId, csvText: 'slide,label\nnope,pos\n' }))).resolves.toMatch(/^bad_request: .*labels.csv row 2: unknown slide "nope"/s)
    await expect(code(core.dispatch('labels.import', { projectId, csvText: 'a', csvPath: '/x' }))).resolves.toMatch(/exactly one of csvText or csvPath/)
  })

  it('refuses to start without labels or over an existing folder', async () => {
    const empty = core.projects.create('empty').id
    await expect(code(core.dispatch('eval.start', { projectId: empty, models: ['enc'] }))).resolves.toMatch(/^conflict: .*no labelled slides/)
    await expect(code(core.dispatch('eval.start', { projectId, models: ['enc'], out: root }))).resolves.toMatch(/^conflict: .*already exists/)
  })

  it('reads the report and a heatmap of a finished evaluation job', async () => {
    await tf.setBackend('cpu')
    const out = join(root, 'eval-out')
    await runEvaluation(core.db, {
      projectId, projectName: 'api', models: ['enc'], aggregator: 'abmil', folds: 2, seed: 1, out, force: false,
      featuresDir: join(root, 'f'), backend: 'cpu', maxEpochs: 3, patience: 2, hidden: 8, attentionDim: 4, bootstrapResamples: 100, heatmaps: true, finetune: null
    })
    const jobId = Number(
      core.db.prepare("INSERT INTO jobs (project_id, kind, status, result) VALUES (?, 'eval.mil', 'succeeded', ?)").run(projectId, JSON.stringify({ outDir: out })).lastInsertRowid
    )
    const report = (await core.dispatch('eval.report', { jobId })) as EvalReport
    expect(report.models[0]!.name).toBe('enc')
    const slideId = (core.db.prepare('SELECT id FROM slides WHERE project_id = ? ORDER BY id LIMIT 1').get(projectId) as { id: number }).id
    const h = (await core.dispatch('eval.heatmap', { jobId, model: 'enc', slideId })) as HeatmapData
    expect(h.coords).toHaveLength(24)
    expect(h.scores).toHaveLength(12)
    expect(h.classes).toEqual(['neg', 'pos'])
    await expect(code(core.dispatch('eval.heatmap', { jobId, model: 'other', slideId }))).resolves.toMatch(/^not_found/)
    const failed = Number(core.db.prepare("INSERT INTO jobs (project_id, kind, status, error) VALUES (?, 'eval.mil', 'failed', 'boom')").run(projectId).lastInsertRowid)
    await expect(code(core.dispatch('eval.report', { jobId: failed }))).resolves.toMatch(/^conflict: .*failed: boom/)
  })

  it('summarises an MCM+KD run for the report', () => {
    const job = Number(core.db.prepare("INSERT INTO jobs (project_id, kind, status, result) VALUES (?, 'train.mcm', 'succeeded', '{}')").run(projectId).lastInsertRowid)
    const run = core.runs.create({ projectId, jobId: job, student: 's', teacher: 't', config: McmConfig.parse({ epochs: 2 }), runDir: join(root, 'run') })
    core.runs.addLoss(run.id, { phase: 'main', step: 1, loss: 0.5, lr: 1e-3 })
    core.runs.addLoss(run.id, { phase: 'main', step: 2, loss: 0.4, lr: 1e-3 })
    core.runs.addLoss(run.id, { phase: 'control', step: 1, loss: 0.6, lr: 1e-3 })
    core.runs.finish(run.id, {
      // runs record the backend they used (evaluation.backend); the report names it with its adapter
      evaluation: { windows: 4, maskedPatches: 32, metric: 'l1', before: 0.9, after: 0.6, control: 0.8, visibleMeanBaseline: 1.1, backend: { name: 'webgpu', adapter: 'nvidia NVIDIA H100', why: 'best available' } },
      inspection: { windows: [], errorMaps: [] },
      outputModel: 's-mcm'
    })
    expect(finetuneSummary(core, run.id)).toMatchObject({
      run_id: run.id,
      masked_l1_before: 0.9,
      masked_l1_after: 0.6,
      masked_l1_control: 0.8,
      masked_l1_visible_mean: 1.1,
      epochs: 2,
      backend: 'webgpu (nvidia NVIDIA H100)',
      train_images_per_s: null,
      loss_curve: [
        { step: 1, loss: 0.5 },
        { step: 2, loss: 0.4 }
      ]
    })
  })
})
