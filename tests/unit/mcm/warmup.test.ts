// Predictor warm-up on the teacher features alone: no student forward, the masked loss falls, it is deterministic, and
// the main phase and the control both start from the warmed predictor.
import * as tf from '@tensorflow/tfjs'
import { beforeAll, describe, expect, it } from 'vitest'
import { McmConfig } from '../../../src-shared/contracts/train'
import { createModels } from '../../../src-main/ml/mcm/models'
import { readParams } from '../../../src-main/ml/mcm/params'
import { runMcm } from '../../../src-main/ml/mcm/run-mcm'
import { SyntheticCohort } from '../../../src-main/ml/mcm/synthetic-cohort'
import { teacherTargets } from '../../../src-main/ml/mcm/targets'
import { McmTrainer } from '../../../src-main/ml/mcm/trainer'
import { warmupSteps, warmUpPredictor } from '../../../src-main/ml/mcm/warmup'
import { trainingPlan } from '../../../src-main/ml/mcm/windows'
import { tempDir } from '../../helpers/tmp'

beforeAll(async () => {
  await tf.setBackend('cpu')
})

const cfg = McmConfig.parse({
  seed: 2,
  backend: 'cpu',
  window: { size: 3 },
  batchWindows: 4,
  optim: { lrPredictor: 3e-3 },
  heldOut: { maxWindows: 4 },
  probe: { patches: 0 },
  data: { source: 'synthetic', synthetic: { slides: 3, cols: 8, rows: 8, holes: 0 } }
})

async function warm(steps: number): Promise<{ w: Awaited<ReturnType<typeof warmUpPredictor>>; forwards: number; first: number }> {
  const source = new SyntheticCohort(cfg.data.synthetic)
  const targets = teacherTargets(source, cfg)
  const models = createModels(cfg, 'tiny-cnn', source.patchSize, targets.space.dim)
  let forwards = 0
  const original = models.student.forward.bind(models.student)
  models.student.forward = (x, mode) => {
    forwards++
    return original(x, mode)
  }
  const plan = trainingPlan(source.slides(), cfg)
  const first = await warmUpPredictor({ cfg, source, targets, plan, models: createModels(cfg, 'tiny-cnn', source.patchSize, targets.space.dim), steps: 1 })
  const w = await warmUpPredictor({ cfg, source, targets, plan, models, steps })
  models.dispose()
  return { w, forwards, first: first.finalLoss }
}

describe('predictor warm-up', () => {
  it('learns masked teacher-from-teacher prediction without any student forward, deterministically', { timeout: 60_000 }, async () => {
    const a = await warm(30)
    expect(a.forwards).toBe(0)
    expect(a.w.finalLoss).toBeLessThan(a.first * 0.9)
    const b = await warm(30)
    expect(JSON.stringify(Object.values(b.w.predictor).map((t) => Array.from(t.data)))).toBe(JSON.stringify(Object.values(a.w.predictor).map((t) => Array.from(t.data))))
    expect(warmupSteps(cfg, 40)).toBe(20)
    expect(warmupSteps(McmConfig.parse({ window: { size: 1 } }), 40)).toBe(0)
  })

  it('a trainer given the warmed predictor starts from it', { timeout: 60_000 }, async () => {
    const { w } = await warm(3)
    const source = new SyntheticCohort(cfg.data.synthetic)
    const t = new McmTrainer({ cfg, source, targets: teacherTargets(source, cfg), plan: trainingPlan(source.slides(), cfg), phase: 'control', studentName: 'tiny-cnn', checkpointDir: tempDir('warm-'), initialPredictor: w.predictor })
    const now = await readParams(t.models.predictor.params)
    for (const [k, v] of Object.entries(w.predictor)) expect(Array.from(now[k]?.data ?? [])).toEqual(Array.from(v.data))
    t.dispose()
  })

  it('a run records its warm-up', { timeout: 60_000 }, async () => {
    const c = McmConfig.parse({ ...cfg, maxSteps: 4, control: false })
    const out = await runMcm({ cfg: c, source: new SyntheticCohort(c.data.synthetic), student: 'tiny-cnn', teacher: 'T', runDir: tempDir('warmrun-') })
    expect(out.evaluation.predictorWarmup?.steps).toBe(2)
    expect(Number.isFinite(out.evaluation.predictorWarmup?.finalLoss)).toBe(true)
    const off = McmConfig.parse({ ...c, predictor: { warmup: 0 } })
    expect((await runMcm({ cfg: off, source: new SyntheticCohort(off.data.synthetic), student: 'tiny-cnn', teacher: 'T', runDir: tempDir('warmoff-') })).evaluation.predictorWarmup).toBeUndefined()
  })
})
