// Every aggregator trains on the wasm backend (the CLI default): each op and gradient it needs has a wasm kernel.
import * as tf from '@tensorflow/tfjs'
import { afterAll, describe, expect, it } from 'vitest'
import { useBackend } from '../../../src-main/ml/backend'
import { crossValidate } from '../../../src-main/ml/mil/cross-validation'
import { makeSplits } from '../../../src-main/eval/splits'
import { syntheticCohort } from '../../../src-main/eval/synthetic-bags'

afterAll(async () => {
  await tf.setBackend('cpu')
})

describe('MIL on wasm', () => {
  it('trains ABMIL, mean and max pooling and matches the cpu backend closely', async () => {
    const bags = syntheticCohort({ slides: 12, patches: 10, dim: 8, seed: 1, signal: 4 })
    const splits = makeSplits(
      bags.map((b) => ({ slideId: b.slideId, label: b.label, patientId: b.patientId })),
      { k: 3, seed: 1 }
    )
    const opts = { classes: 2, seed: 1, learningRate: 1e-2, maxEpochs: 3, patience: 2, hidden: 8, attentionDim: 4 }
    const results: Record<string, Float64Array> = {}
    for (const backend of ['wasm', 'cpu'] as const) {
      await useBackend(backend)
      expect(tf.getBackend()).toBe(backend)
      for (const aggregator of ['abmil', 'mean', 'max'] as const) {
        const r = await crossValidate(bags, splits, { ...opts, aggregator })
        expect(r.oof.probs.every(Number.isFinite)).toBe(true)
        results[`${backend}/${aggregator}`] = r.oof.probs
      }
    }
    for (const aggregator of ['abmil', 'mean', 'max']) {
      const w = results[`wasm/${aggregator}`]!
      const c = results[`cpu/${aggregator}`]!
      // float32 summation order differs between kernels: close, not bit-identical
      for (let i = 0; i < w.length; i++) expect(Math.abs(w[i]! - c[i]!)).toBeLessThan(1e-3)
    }
  })
})
