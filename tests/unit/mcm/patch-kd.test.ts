// The budget-matched per-patch KD ablation: same optimizer steps and (within one image per step) the same number of
// student images as the main phase, windows of 1, its own loss curve and checkpoints, its student scored by the probe.
import * as tf from '@tensorflow/tfjs'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { McmConfig, type LossPoint } from '../../../src-shared/contracts/train'
import { patchKdPlan } from '../../../src-main/ml/mcm/patch-kd'
import { runMcm } from '../../../src-main/ml/mcm/run-mcm'
import { SyntheticCohort } from '../../../src-main/ml/mcm/synthetic-cohort'
import { tempDir } from '../../helpers/tmp'

beforeAll(async () => {
  await tf.setBackend('cpu')
})

const cfg = McmConfig.parse({
  seed: 4,
  backend: 'cpu',
  window: { size: 3 },
  batchWindows: 2,
  maxSteps: 4,
  patchKd: true,
  heldOut: { maxWindows: 4 },
  probe: { patches: 48 },
  data: { source: 'synthetic', synthetic: { slides: 3, cols: 6, rows: 6, holes: 0 } }
})

describe('per-patch KD ablation', () => {
  it('plans windows of 1 with the main phase budget', () => {
    const source = new SyntheticCohort(cfg.data.synthetic)
    const grids = source.slides().slice(0, 2)
    const kd = patchKdPlan(cfg, grids, 4, 4 * 2 * 4 + 3)
    expect(kd.batch).toBe(9)
    expect(kd.cfg.window).toEqual({ size: 1, stride: 1 })
    expect(kd.cfg.maxSteps).toBe(4)
    expect(kd.plan.length).toBeGreaterThanOrEqual(4 * 9)
    expect(kd.plan.every((w) => w.cells.length === 1)).toBe(true)
  })

  it('runs beside the main phase and the control, and reports its budget and teacher probe', { timeout: 60_000 }, async () => {
    const points: LossPoint[] = []
    const dir = tempDir('patchkd-')
    const out = await runMcm({ cfg, source: new SyntheticCohort(cfg.data.synthetic), student: 'tiny-cnn', teacher: 'T', runDir: dir, hooks: { loss: (p) => points.push(p) } })
    const e = out.evaluation
    expect(e.budget).toEqual({ steps: 4, images: 4 * 2 * (9 - 5) }) // k = round(0.5·9) = 5 masked, 4 visible per window
    expect(e.patchKd?.steps).toBe(4)
    expect(e.patchKd?.images).toBeGreaterThanOrEqual(e.budget?.images ?? Infinity)
    expect(e.patchKd?.images).toBeLessThan((e.budget?.images ?? 0) + 4)
    expect(Number.isFinite(e.patchKd?.teacherProbeAfter)).toBe(true)
    expect(e.patchKd?.teacherProbeAfter).not.toBe(e.teacherProbe?.after)
    expect(points.filter((p) => p.phase === 'patch-kd').map((p) => p.step)).toEqual([1, 2, 3, 4])
    expect(points.find((p) => p.phase === 'patch-kd')?.lrStudent).toBeGreaterThan(0)
    expect(existsSync(join(dir, 'checkpoints', 'patch-kd'))).toBe(true)
    expect(out.steps).toEqual({ main: 4, control: 4, 'patch-kd': 4 })
  })
})
