// The default MCM+KD recipe (docs/mcm-recipe.md): each default is the one that lets the student learn, and the
// predictor is narrower than the student, with an input projection (with bias) and a LayerNorm, so visible tokens are
// on the scale of the mask token and positions whatever the scale of the student's features.
import * as tf from '@tensorflow/tfjs'
import { beforeAll, describe, expect, it } from 'vitest'
import { McmConfig } from '../../../src-shared/contracts/train'
import { createModels, defaultPredictorWidth } from '../../../src-main/ml/mcm/models'
import { windowStride } from '../../../src-main/ml/mcm/windows'

beforeAll(async () => {
  await tf.setBackend('cpu')
})

describe('default recipe', () => {
  it('has the documented defaults', () => {
    const c = McmConfig.parse({})
    expect(c.batchWindows).toBeGreaterThanOrEqual(8)
    expect(c.batchWindows * (c.window.size ** 2 - Math.round(c.mask.ratio * c.window.size ** 2))).toBeGreaterThanOrEqual(64)
    expect(windowStride(c)).toBe(2)
    expect(windowStride(McmConfig.parse({ window: { size: 3 } }))).toBe(2)
    expect(windowStride(McmConfig.parse({ window: { size: 1 } }))).toBe(1)
    expect(c.freezeBnStats).toBe(false)
    expect(c.optim.lrPredictor / c.optim.lrStudent).toBeLessThanOrEqual(5)
    expect(c.optim.clipScope).toBe('group')
    expect(c.loss.teacherNorm).toBe('standardize')
    expect(c.heldOut.by).toBe('patient')
    expect(c.predictor.inputNorm).toBe(true)
  })

  it('the predictor is narrower than the student, projects its input with a bias and normalises it', () => {
    expect(defaultPredictorWidth(512, 2)).toBe(256)
    expect(defaultPredictorWidth(16, 2)).toBe(8)
    expect(defaultPredictorWidth(24, 6)).toBe(12)
    expect(defaultPredictorWidth(4, 4)).toBe(8)
    const cfg = McmConfig.parse({ window: { size: 3 } })
    const m = createModels(cfg, 'tiny-cnn-16', 16, 12)
    const names = m.predictor.params.map((p) => p.name)
    expect(names).toEqual(expect.arrayContaining(['in_proj.weight', 'in_proj.bias', 'in_norm.weight', 'in_norm.bias']))
    expect(m.predictor.params.find((p) => p.name === 'in_proj.weight')?.variable.shape).toEqual([16, 8])
    // at init, the predictions do not depend on the scale of the student's features (×1 vs ×100)
    const tokens = tf.randomNormal([2, 9, 16], 0, 1, 'float32', 3) as tf.Tensor3D
    const mask = tf.tensor3d([1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0], [2, 9, 1])
    const a = m.predictor.forward(tokens, mask).dataSync()
    const b = m.predictor.forward(tf.mul(tokens, 100) as tf.Tensor3D, mask).dataSync()
    for (let i = 0; i < a.length; i++) expect(b[i]).toBeCloseTo(a[i] as number, 3)
    m.dispose()
  })
})
