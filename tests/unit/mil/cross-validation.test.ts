// MIL aggregators on a synthetic cohort where a few lesion patches decide the label: they learn it, ABMIL attends to
// the lesion, and the whole CV is bit-identical when rerun with the same seed.
import * as tf from '@tensorflow/tfjs'
import { beforeAll, describe, expect, it } from 'vitest'
import { crossValidate } from '../../../src-main/ml/mil/cross-validation'
import { inverseFrequencyWeights } from '../../../src-main/ml/mil/train'
import { makeSplits } from '../../../src-main/eval/splits'
import { syntheticCohort } from '../../../src-main/eval/synthetic-bags'

beforeAll(async () => {
  await tf.setBackend('cpu')
  await tf.ready()
})

const bags = syntheticCohort({ slides: 24, patches: 30, dim: 16, seed: 5, signal: 4, lesionFraction: 0.15 })
const splits = makeSplits(
  bags.map((b) => ({ slideId: b.slideId, label: b.label, patientId: b.patientId })),
  { k: 3, seed: 9 }
)
const options = { classes: 2, seed: 3, learningRate: 5e-3, maxEpochs: 15, patience: 4, hidden: 16, attentionDim: 8 }

describe('crossValidate', () => {
  it('ABMIL learns the lesion signal, attends to lesion patches, and is deterministic', async () => {
    const before = tf.memory().numTensors
    const a = await crossValidate(bags, splits, { ...options, aggregator: 'abmil' })
    const b = await crossValidate(bags, splits, { ...options, aggregator: 'abmil' })
    expect(tf.memory().numTensors).toBe(before)
    expect(a.folds).toHaveLength(3)
    const meanAuc = a.folds.reduce((s, f) => s + f.auc, 0) / a.folds.length
    expect(meanAuc).toBeGreaterThan(0.85)
    expect(Array.from(a.oof.probs)).toEqual(Array.from(b.oof.probs))
    expect(a.folds.map((f) => f.history)).toEqual(b.folds.map((f) => f.history))
    // attention on lesion patches vs the rest, over positive slides
    let lesionMass = 0
    let positives = 0
    for (const bag of bags.filter((x) => x.label === 1)) {
      const scores = a.patchScores.get(bag.slideId)!
      expect(scores.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 4)
      lesionMass += scores.reduce((s, v, i) => s + (bag.lesion[i] ? v : 0), 0)
      positives++
    }
    // lesions are 15% of patches: uniform attention would put 0.15 on them
    expect(lesionMass / positives).toBeGreaterThan(0.3)
    expect(a.parameters).toBe(16 * 16 + 16 + 2 * (16 * 8 + 8) + 8 + 16 * 2 + 2)
  })
  it('mean-pool and max-pool floors run and give out-of-fold predictions for every slide', async () => {
    for (const aggregator of ['mean', 'max'] as const) {
      const r = await crossValidate(bags, splits, { ...options, aggregator })
      expect(r.oof.probs.every((p) => Number.isFinite(p))).toBe(true)
      expect(r.patchScores.size).toBe(bags.length)
      expect(r.parameters).toBe(16 * 2 + 2)
    }
  })
  it('rejects bags of mixed dims and weights classes by inverse frequency', async () => {
    const mixed = [...bags.slice(0, 3), { ...bags[3]!, dim: 8, features: new Float32Array(8 * 30) }]
    await expect(crossValidate(mixed, splits, { ...options, aggregator: 'abmil' })).rejects.toThrow(/feature dim 8/)
    expect(inverseFrequencyWeights([0, 0, 0, 1], 2)).toEqual([4 / 6, 2])
  })
})
