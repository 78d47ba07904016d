// Every zoo architecture trains on wasm: a step gives a finite gradient for every trainable tensor (no op without a
// wasm gradient), and manifests describe the model (output dim matches the features).
import { describe, expect, it, beforeAll } from 'vitest'
import * as tf from '@tensorflow/tfjs'
import { useBackend } from '../../../src-main/ml/backend'
import { createModel, zooArchs, type CreateModelOptions } from '../../../src-main/ml/models/zoo'

const small: Record<string, CreateModelOptions & { size: number; vit?: Record<string, number> }> = {
  smallcnn: { size: 32, width: 8, depth: 2 },
  resnet18: { size: 32 },
  resnet34: { size: 32 },
  resnet50: { size: 32 },
  vit_small: { size: 32, inputSize: 32, depth: 1 },
  vit_base: { size: 32, inputSize: 32, depth: 1 }
}

describe('zoo models train on wasm', () => {
  beforeAll(async () => { await useBackend('wasm') })

  it('covers every architecture', () => {
    expect(Object.keys(small).sort()).toEqual([...zooArchs].sort())
  })

  for (const arch of zooArchs) {
    it(`${arch}: every trainable tensor gets a finite gradient`, async () => {
      const cfg = small[arch] as CreateModelOptions & { size: number }
      const model = createModel(arch, cfg)
      const x = tf.randomNormal([2, cfg.size, cfg.size, 3], 0, 1, 'float32', 1) as tf.Tensor4D
      const vars = model.params.trainableVariables()
      const { value, grads } = tf.variableGrads(() => {
        const f = model.apply(x, true)
        expect(f.shape).toEqual([2, model.manifest.outputDim])
        return tf.mean(tf.abs(f)) as tf.Scalar
      }, vars)
      expect(Object.keys(grads).length).toBe(vars.length)
      const norms = await Promise.all(Object.values(grads).map(async (g) => (await tf.sum(tf.abs(g)).data())[0] as number))
      expect(norms.every((n) => Number.isFinite(n))).toBe(true)
      expect(norms.filter((n) => n > 0).length).toBeGreaterThan(vars.length * 0.9)
      tf.dispose([x, value, ...Object.values(grads)])
      model.dispose()
    })
  }
})
