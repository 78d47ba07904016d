// Each training option does what it says: λ visible KD, frozen BN stats, warm-up + cosine, AdamW decay, separate LRs,
// gradient clipping, the non-finite guard, and the frozen-student control.
import * as tf from '@tensorflow/tfjs'
import { beforeAll, describe, expect, it } from 'vitest'
import { McmConfig, type McmConfigInput } from '../../../src-shared/contracts/train'
import { AdamW, lrFactor } from '../../../src-main/ml/mcm/optimizer'
import { readParams } from '../../../src-main/ml/mcm/params'
import { SyntheticCohort } from '../../../src-main/ml/mcm/synthetic-cohort'
import { McmTrainer } from '../../../src-main/ml/mcm/trainer'
import { teacherTargets } from '../../../src-main/ml/mcm/targets'
import { trainingPlan } from '../../../src-main/ml/mcm/windows'
import { tempDir } from '../../helpers/tmp'

beforeAll(async () => {
  await tf.setBackend('cpu')
})

function trainer(over: McmConfigInput, phase: 'main' | 'control' = 'main', extra: { inject?: number[]; notices?: string[]; losses?: number[] } = {}): McmTrainer {
  const cfg = McmConfig.parse({
    seed: 1,
    backend: 'cpu',
    window: { size: 3 },
    batchWindows: 2,
    maxSteps: 3,
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
    checkpointDir: tempDir('opt-'),
    ...(extra.inject ? { injectNonFiniteAt: extra.inject } : {}),
    onNotice: (m) => extra.notices?.push(m),
    onStep: (s) => extra.losses?.push(s.loss)
  })
}

const snapshot = async (t: McmTrainer, which: 'student' | 'state' | 'predictor'): Promise<string> => {
  const p = which === 'student' ? t.models.student.params : which === 'state' ? t.models.student.state : t.models.predictor.params
  return JSON.stringify(Object.values(await readParams(p)).map((x) => Array.from(x.data)))
}

describe('schedule', () => {
  it('warms up linearly then decays by cosine to minLrFraction', () => {
    const o = McmConfig.parse({ optim: { warmupFraction: 0.2, minLrFraction: 0.1 } }).optim
    expect(lrFactor(0, 10, o)).toBeCloseTo(0.5)
    expect(lrFactor(1, 10, o)).toBeCloseTo(1)
    expect(lrFactor(2, 10, o)).toBeCloseTo(1)
    expect(lrFactor(6, 10, o)).toBeCloseTo(0.1 + 0.9 * 0.5 * (1 + Math.cos(Math.PI * 0.5)))
    expect(lrFactor(10, 10, o)).toBeCloseTo(0.1)
    expect(lrFactor(7, 10, { ...o, schedule: 'constant' })).toBe(1)
  })
})

describe('AdamW', () => {
  it('decays weights with zero gradient (decoupled) and skips biases; clipping scales the gradient', async () => {
    const o = McmConfig.parse({ optim: { weightDecay: 0.5 } }).optim
    const w = { name: 'w', variable: tf.variable(tf.ones([2, 2])), decay: true }
    const b = { name: 'b', variable: tf.variable(tf.ones([2])), decay: false }
    const opt = new AdamW([{ name: 'g', params: [w, b], lr: 0.1 }], o)
    opt.apply({ [w.variable.name]: tf.zeros([2, 2]), [b.variable.name]: tf.zeros([2]) }, 1, 1)
    expect(w.variable.dataSync()[0]).toBeCloseTo(1 - 0.1 * 0.5)
    expect(b.variable.dataSync()[0]).toBe(1)
    const opt2 = new AdamW([{ name: 'g', params: [b], lr: 0.1 }], o)
    opt2.apply({ [b.variable.name]: tf.fill([2], 4) }, 1, 0.25)
    // first moment after one step = (1 − β1) · clip · g
    expect((await opt2.exportState()).tensors['m/g/b']?.data[0]).toBeCloseTo(0.1 * 0.25 * 4)
    expect(await AdamW.globalNorm({ a: tf.tensor([3, 4]) })).toBeCloseTo(5)
  })
})

describe('trainer options', () => {
  it('separate learning rates: lrStudent = 0 leaves the student unchanged while the predictor learns', async () => {
    const t = trainer({ optim: { lrStudent: 0, lrPredictor: 1e-2, weightDecay: 0 }, freezeBnStats: true })
    const s0 = await snapshot(t, 'student')
    const p0 = await snapshot(t, 'predictor')
    await t.run()
    expect(await snapshot(t, 'student')).toBe(s0)
    expect(await snapshot(t, 'predictor')).not.toBe(p0)
    t.dispose()
  })

  it('the control (student frozen) trains only the predictor and keeps BN statistics', async () => {
    const t = trainer({}, 'control')
    const s0 = await snapshot(t, 'student')
    const st0 = await snapshot(t, 'state')
    const p0 = await snapshot(t, 'predictor')
    await t.run()
    expect(await snapshot(t, 'student')).toBe(s0)
    expect(await snapshot(t, 'state')).toBe(st0)
    expect(await snapshot(t, 'predictor')).not.toBe(p0)
    t.dispose()
  })

  it('freezeBnStats keeps running statistics; without it they move', async () => {
    const frozen = trainer({ freezeBnStats: true })
    const st0 = await snapshot(frozen, 'state')
    await frozen.run()
    expect(await snapshot(frozen, 'state')).toBe(st0)
    expect(await snapshot(frozen, 'student')).not.toBe(await snapshot(trainer({ freezeBnStats: true }), 'student'))
    frozen.dispose()
    const live = trainer({ freezeBnStats: false })
    await live.run()
    expect(await snapshot(live, 'state')).not.toBe(st0)
    live.dispose()
  })

  it('visible KD weight λ adds a term to the loss and trains the KD head', async () => {
    const plain: number[] = []
    const withKd: number[] = []
    const a = trainer({ maxSteps: 1 }, 'main', { losses: plain })
    await a.run()
    const b = trainer({ maxSteps: 1, loss: { visibleKdWeight: 0.5 } }, 'main', { losses: withKd })
    const kd0 = JSON.stringify(Object.values(await readParams(b.models.kdHead)).map((x) => Array.from(x.data)))
    await b.run()
    expect(withKd[0]).toBeGreaterThan((plain[0] as number) + 0.01)
    expect(JSON.stringify(Object.values(await readParams(b.models.kdHead)).map((x) => Array.from(x.data)))).not.toBe(kd0)
    a.dispose()
    b.dispose()
  })

  it('each loss kind trains (smooth-L1, cosine)', async () => {
    for (const kind of ['smooth-l1', 'cosine'] as const) {
      const losses: number[] = []
      const t = trainer({ loss: { kind } }, 'main', { losses })
      await t.run()
      expect(losses.every(Number.isFinite)).toBe(true)
      t.dispose()
    }
  })

  it('s = 1 (no-context KD ablation) trains with nothing masked: every patch is its own target', async () => {
    const losses: number[] = []
    const t = trainer({ window: { size: 1 }, maxSteps: 3 }, 'main', { losses })
    const p0 = await snapshot(t, 'predictor')
    await t.run()
    expect(losses.length).toBe(3)
    expect(losses.every((l) => Number.isFinite(l) && l > 0)).toBe(true)
    expect(await snapshot(t, 'predictor')).not.toBe(p0)
    t.dispose()
  })

  it('a non-finite loss discards the step (weights kept) with a clear notice; 3 in a row stop the phase', async () => {
    const notices: string[] = []
    const t = trainer({ maxSteps: 1 }, 'main', { inject: [0], notices })
    const s0 = await snapshot(t, 'student')
    const p0 = await snapshot(t, 'predictor')
    await t.run()
    expect(await snapshot(t, 'student')).toBe(s0)
    expect(await snapshot(t, 'predictor')).toBe(p0)
    expect(notices.join()).toMatch(/step 1: non-finite loss \(NaN\); the update was discarded/)
    t.dispose()
    const t3 = trainer({ maxSteps: 5, data: { source: 'synthetic', synthetic: { slides: 2, cols: 9, rows: 9, holes: 0 } } }, 'main', { inject: [1, 2, 3] })
    await expect(t3.run()).rejects.toThrow(/3 consecutive non-finite steps/)
    t3.dispose()
  })
})
