// Both parameter groups are visible and handled on their own: the loss curve records the student's and the predictor's
// learning rate and gradient norm, and clipping works per group (optim.clipScope) or over all parameters.
import * as tf from '@tensorflow/tfjs'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { McmConfig, type McmConfigInput } from '../../../src-shared/contracts/train'
import { createCore } from '../../../src-main/core/core'
import type { AdamW } from '../../../src-main/ml/mcm/optimizer'
import { SyntheticCohort } from '../../../src-main/ml/mcm/synthetic-cohort'
import { teacherTargets } from '../../../src-main/ml/mcm/targets'
import { McmTrainer, type StepInfo } from '../../../src-main/ml/mcm/trainer'
import { trainingPlan } from '../../../src-main/ml/mcm/windows'
import type { Project } from '../../../src-shared/domain/types'
import { tempDir } from '../../helpers/tmp'

beforeAll(async () => {
  await tf.setBackend('cpu')
})

function trainer(over: McmConfigInput, phase: 'main' | 'control', steps: StepInfo[]): McmTrainer {
  const cfg = McmConfig.parse({
    seed: 2,
    backend: 'cpu',
    window: { size: 3 },
    batchWindows: 2,
    maxSteps: 2,
    checkpointEvery: 100,
    data: { source: 'synthetic', synthetic: { slides: 2, cols: 6, rows: 6, holes: 0 } },
    ...over
  })
  const source = new SyntheticCohort(cfg.data.synthetic)
  return new McmTrainer({
    cfg,
    source,
    targets: teacherTargets(source, cfg),
    plan: trainingPlan(source.slides(), cfg),
    phase,
    studentName: 'tiny-cnn',
    checkpointDir: tempDir('groups-'),
    onStep: (s) => steps.push(s)
  })
}

const norm = (a: Float32Array | undefined): number => Math.sqrt(Array.from(a ?? []).reduce((s, x) => s + x * x, 0))
const firstMoments = async (t: McmTrainer): Promise<Record<string, number>> => {
  const tensors = (await (t as unknown as { optimizer: AdamW }).optimizer.exportState()).tensors
  const out: Record<string, number> = { student: 0, predictor: 0 }
  for (const [k, v] of Object.entries(tensors)) {
    const g = /^m\/(student|predictor)\//.exec(k)?.[1]
    if (g) out[g] = (out[g] ?? 0) + norm(v.data) ** 2
  }
  return { student: Math.sqrt(out['student'] ?? 0), predictor: Math.sqrt(out['predictor'] ?? 0) }
}

describe('parameter groups', () => {
  it('each step reports both learning rates and both gradient norms; the control has no student', async () => {
    const steps: StepInfo[] = []
    const t = trainer({ optim: { lrStudent: 3e-4, lrPredictor: 1e-3, warmupFraction: 0, schedule: 'constant' } }, 'main', steps)
    await t.run()
    expect(steps[0]).toMatchObject({ lr: 1e-3, lrStudent: 3e-4 })
    expect(steps[0]?.gradNorm.student).toBeGreaterThan(0)
    expect(steps[0]?.gradNorm.predictor).toBeGreaterThan(0)
    const ctl: StepInfo[] = []
    await trainer({}, 'control', ctl).run()
    expect(ctl[0]?.lrStudent).toBeNull()
    expect(ctl[0]?.gradNorm.student).toBeNull()
    expect(ctl[0]?.gradNorm.predictor).toBeGreaterThan(0)
  })

  it("clipScope 'group' clips each group to clipNorm on its own norm; 'global' shares one factor", async () => {
    const clipNorm = 1e-3
    const steps: StepInfo[] = []
    const g = trainer({ maxSteps: 1, optim: { clipNorm, clipScope: 'group' } }, 'main', steps)
    await g.run()
    const [ns, np] = [steps[0]?.gradNorm.student as number, steps[0]?.gradNorm.predictor as number]
    expect(ns).toBeGreaterThan(clipNorm)
    expect(np).toBeGreaterThan(clipNorm)
    // first moment after one step = (1 − β1)·clip·g, so its norm is 0.1·clipNorm for each clipped group
    const mg = await firstMoments(g)
    expect(mg.student).toBeCloseTo(0.1 * clipNorm, 7)
    expect(mg.predictor).toBeCloseTo(0.1 * clipNorm, 7)
    const global = trainer({ maxSteps: 1, optim: { clipNorm, clipScope: 'global' } }, 'main', [])
    await global.run()
    const total = Math.hypot(ns, np)
    const mgl = await firstMoments(global)
    expect(mgl.student).toBeCloseTo((0.1 * clipNorm * ns) / total, 7)
    expect(mgl.predictor).toBeCloseTo((0.1 * clipNorm * np) / total, 7)
  })

  it('the store keeps both groups per loss point', async () => {
    const dir = tempDir('groups-db-')
    const core = createCore({ dbPath: join(dir, 't.db'), door: 'cli' })
    try {
      const project = (await core.dispatch('project.create', { name: 'P' })) as Project
      const job = Number(core.db.prepare("INSERT INTO jobs (project_id, kind, status) VALUES (?, 'train.mcm', 'running')").run(project.id).lastInsertRowid)
      const run = core.runs.create({ projectId: project.id, jobId: job, student: 's', teacher: 't', config: McmConfig.parse({}), runDir: join(dir, 'run') })
      core.runs.addLoss(run.id, { phase: 'main', step: 1, loss: 0.5, lr: 1e-3, lrStudent: 3e-4, gradNormStudent: 2.5, gradNormPredictor: 7 })
      core.runs.addLoss(run.id, { phase: 'control', step: 1, loss: 0.6, lr: 1e-3, lrStudent: null, gradNormStudent: null, gradNormPredictor: 6 })
      expect(core.runs.lossCurve(run.id)).toEqual([
        { phase: 'main', step: 1, loss: 0.5, lr: 1e-3, lrStudent: 3e-4, gradNormStudent: 2.5, gradNormPredictor: 7 },
        { phase: 'control', step: 1, loss: 0.6, lr: 1e-3, lrStudent: null, gradNormStudent: null, gradNormPredictor: 6 }
      ])
    } finally {
      core.close()
    }
  })
})
