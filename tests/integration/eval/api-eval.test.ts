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
import { mkdirSync, writeFileSync } from 'node:fs'
import { createHash } from 'node:crypto'
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
      metric: 'held-out masked-patch l1 (32 patches, 4 windows)',
      loss_curve: [
        { step: 1, loss: 0.5 },
        { step: 2, loss: 0.4 }
      ]
    })
  })

  it('carries the truth probe and a pre-registration hash into the fine-tune summary; refuses a bad pre-registration', async () => {
    const job = Number(core.db.prepare("INSERT INTO jobs (project_id, kind, status, result) VALUES (?, 'train.mcm', 'succeeded', '{}')").run(projectId).lastInsertRowid)
    const run = core.runs.create({ projectId, jobId: job, student: 's', teacher: 't', config: McmConfig.parse({}), runDir: join(root, 'run2') })
    core.runs.finish(run.id, {
      evaluation: {
        windows: 4, maskedPatches: 32, metric: 'masked-patch L1 (mean over dims)', before: 0.9, after: 0.6, control: 0.8, visibleMeanBaseline: 1.1,
        teacherProbe: { before: 0.7, after: 0.75, fitPatches: 10, testPatches: 10, metric: 'r2' },
        patchKd: { steps: 3, images: 48, teacherProbeAfter: 0.72, truthProbeAfter: 0.41 },
        truthProbe: { channel: 'atypia_mean', file: '/c/truth.json', before: 0.4, after: 0.45, fitPatches: 9, testPatches: 8, metric: 'r2' }
      },
      inspection: { windows: [], errorMaps: [] },
      outputModel: 's-mcm2'
    })
    // the run's metric already names the masked patches: not twice in the report (an older run's 'l1' gets the prefix)
    expect(finetuneSummary(core, run.id).metric).toBe('held-out masked-patch L1 (mean over dims) (32 patches, 4 windows)')
    expect(finetuneSummary(core, run.id)).toMatchObject({
      truth_probe: { channel: 'atypia_mean', r2_before: 0.4, r2_after: 0.45, fit_patches: 9, test_patches: 8 },
      patch_kd: { steps: 3, images: 48, teacher_probe_r2_after: 0.72, truth_probe_r2_after: 0.41 }
    })
    const prereg = join(root, 'PREREGISTRATION.md')
    writeFileSync(prereg, '# design\nfrozen\n')
    const start = { projectId, models: ['enc'], featuresDir: join(root, 'f'), backend: 'cpu' as const, maxEpochs: 1, heatmaps: false }
    await expect(code(core.dispatch('eval.start', { ...start, out: join(root, 'pr0'), preregistration: prereg }))).resolves.toMatch(/^bad_request: preregistration needs finetuneRunId/)
    await expect(code(core.dispatch('eval.start', { ...start, out: join(root, 'pr1'), finetuneRunId: run.id, preregistration: join(root, 'missing.md') }))).resolves.toMatch(/^bad_request: .*missing\.md/)
    const started = (await core.dispatch('eval.start', { ...start, out: join(root, 'pr2'), finetuneRunId: run.id, preregistration: prereg })) as { id: number }
    const params = JSON.parse((core.db.prepare('SELECT params FROM jobs WHERE id = ?').get(started.id) as { params: string }).params) as { finetune: Record<string, unknown> }
    expect(params.finetune['preregistration_sha256']).toBe(createHash('sha256').update('# design\nfrozen\n').digest('hex'))
    expect(params.finetune['preregistration_file']).toBe(prereg)
    // the job itself is not under test: cancel it and wait until it has stopped touching the database
    await core.dispatch('job.cancel', { id: started.id }).catch(() => undefined)
    for (let i = 0; i < 600; i++) {
      const j = (await core.dispatch('job.get', { id: started.id })) as { status: string }
      if (!['queued', 'running'].includes(j.status)) break
      await new Promise((r) => setTimeout(r, 100))
    }
  }, 90_000)
})
