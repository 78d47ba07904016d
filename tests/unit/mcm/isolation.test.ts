// The predictor cannot see masked patches: their pixels are never read, and changing them changes no loss input.
import * as tf from '@tensorflow/tfjs'
import { beforeAll, describe, expect, it } from 'vitest'
import { McmConfig } from '../../../src-shared/contracts/train'
import { buildBatch, type BatchInput } from '../../../src-main/ml/mcm/batch'
import { trainingMask } from '../../../src-main/ml/mcm/masking'
import { createModels } from '../../../src-main/ml/mcm/models'
import { forwardBatch } from '../../../src-main/ml/mcm/step'
import { SyntheticCohort } from '../../../src-main/ml/mcm/synthetic-cohort'
import { teacherTargets } from '../../../src-main/ml/mcm/targets'
import { trainingPlan } from '../../../src-main/ml/mcm/windows'

const cfg = McmConfig.parse({ seed: 2, backend: 'cpu', window: { size: 3 }, batchWindows: 3, data: { source: 'synthetic', synthetic: { slides: 2, cols: 9, rows: 9, holes: 0 } } })

beforeAll(async () => {
  await tf.setBackend('cpu')
})

function items(source: SyntheticCohort): BatchInput[] {
  return trainingPlan(source.slides(), cfg)
    .slice(0, 3)
    .map((window, i) => ({ window, mask: trainingMask(cfg, window, i), augmentKey: i }))
}

function lossOf(source: SyntheticCohort, batch: Awaited<ReturnType<typeof buildBatch>>): number {
  const m = createModels(cfg, 'tiny-cnn', source.patchSize, source.teacherDim)
  const loss = tf.tidy(() => forwardBatch(m, batch, cfg, source.patchSize, source.teacherDim, { training: false, studentFrozen: true }).loss.dataSync()[0])
  m.dispose()
  return loss as number
}

describe('masked patches are invisible to student and predictor', () => {
  it('reads only visible patches', async () => {
    const source = new SyntheticCohort(cfg.data.synthetic)
    const it3 = items(source)
    await buildBatch(source, teacherTargets(source, cfg), it3, cfg, { mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25] })
    const visible = it3.reduce((a, i) => a + i.mask.filter((m) => !m).length, 0)
    expect(source.readCount).toBe(visible)
  })

  it('changing a masked patch’s pixels changes nothing; changing a visible one changes the loss', async () => {
    const source = new SyntheticCohort(cfg.data.synthetic)
    const it3 = items(source)
    const stats = { mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25] }
    const before = await buildBatch(source, teacherTargets(source, cfg), it3, cfg, stats)
    const lossBefore = lossOf(source, before)
    const first = it3[0] as BatchInput
    const maskedCell = first.mask.findIndex(Boolean)
    const visibleCell = first.mask.findIndex((m) => !m)
    const noise = new Uint8Array(source.patchSize * source.patchSize * 3).map((_, i) => (i * 97) % 256)
    source.overridePixels(first.window.slide, first.window.cells[maskedCell] as number, noise)
    const afterMasked = await buildBatch(source, teacherTargets(source, cfg), it3, cfg, stats)
    expect(afterMasked.visiblePixels).toEqual(before.visiblePixels)
    expect(afterMasked.placement).toEqual(before.placement)
    expect(afterMasked.tokenMask).toEqual(before.tokenMask)
    expect(afterMasked.targets).toEqual(before.targets)
    expect(lossOf(source, afterMasked)).toBe(lossBefore)

    source.overridePixels(first.window.slide, first.window.cells[visibleCell] as number, noise)
    const afterVisible = await buildBatch(source, teacherTargets(source, cfg), it3, cfg, stats)
    expect(afterVisible.visiblePixels).not.toEqual(before.visiblePixels)
    expect(lossOf(source, afterVisible)).not.toBe(lossBefore)
  })

  it('the predictor output does not depend on the token values at masked cells', () => {
    const source = new SyntheticCohort(cfg.data.synthetic)
    const m = createModels(cfg, 'tiny-cnn', source.patchSize, source.teacherDim)
    const mask = tf.tensor3d([0, 1, 0, 0, 1, 0, 0, 0, 1], [1, 9, 1])
    const base = tf.randomNormal([1, 9, 16], 0, 1, 'float32', 1) as tf.Tensor3D
    const poke = tf.mul(base, tf.tensor3d([1, 50, 1, 1, -9, 1, 1, 1, 3], [1, 9, 1])) as tf.Tensor3D
    const a = m.predictor.forward(base, mask).dataSync()
    const b = m.predictor.forward(poke, mask).dataSync()
    expect(Array.from(b)).toEqual(Array.from(a))
    m.dispose()
  })

  it('refuses a fully masked window', async () => {
    const source = new SyntheticCohort(cfg.data.synthetic)
    const [first] = items(source)
    await expect(buildBatch(source, teacherTargets(source, cfg), [{ ...(first as BatchInput), mask: new Array(9).fill(true) }], cfg, { mean: [0, 0, 0], std: [1, 1, 1] })).rejects.toThrow(/fully masked/)
  })
})
