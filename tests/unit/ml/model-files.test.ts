// Model files: safetensors export/import (torch layout, hash stable), TF.js export/import, TF.js layers models with the
// layer allowlist, and refusal of pickle checkpoints.
import { describe, expect, it, beforeAll } from 'vitest'
import * as tf from '@tensorflow/tfjs'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { tempDir } from '../../helpers/tmp'
import { useBackend } from '../../../src-main/ml/backend'
import { createModel } from '../../../src-main/ml/models/zoo'
import { loadSafetensorsFile, saveSafetensorsFile } from '../../../src-main/ml/weights'
import { exportTfjs, importTfjs } from '../../../src-main/ml/tfjs-format'
import { readSafetensors } from '../../../src-main/interop/safetensors'
import { readFileSync } from 'node:fs'

async function features(model: { apply(x: tf.Tensor4D, t: boolean): tf.Tensor2D }, size = 32): Promise<Float32Array> {
  const x = tf.tidy(() => tf.sin(tf.range(0, 2 * size * size * 3).reshape([2, size, size, 3])) as tf.Tensor4D)
  const y = model.apply(x, false)
  const out = (await y.data()) as Float32Array
  tf.dispose([x, y])
  return out
}

/** Writes a TF.js layers model as model.json + weights.bin (what tfjs's file save handler would write). */
async function saveLayers(model: tf.LayersModel, dir: string): Promise<string> {
  await model.save(tf.io.withSaveHandler(async (art) => {
    writeFileSync(join(dir, 'weights.bin'), new Uint8Array(art.weightData as ArrayBuffer))
    writeFileSync(join(dir, 'model.json'), JSON.stringify({ modelTopology: art.modelTopology, weightsManifest: [{ paths: ['weights.bin'], weights: art.weightSpecs }] }))
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } }
  }))
  return join(dir, 'model.json')
}

describe('model files', () => {
  beforeAll(async () => { await useBackend('wasm') })

  it('safetensors export → import reproduces features and the weight hash; metadata carries the manifest', async () => {
    const dir = tempDir()
    const a = createModel('smallcnn', { width: 8, depth: 2, seed: 5 })
    const file = join(dir, 'm.safetensors')
    const hash = await saveSafetensorsFile(a, file)
    const meta = readSafetensors(new Uint8Array(readFileSync(file))).metadata
    expect(JSON.parse(meta['tessera_manifest'] ?? '{}').arch).toBe('smallcnn')
    const b = createModel('smallcnn', { width: 8, depth: 2, seed: 99 })
    loadSafetensorsFile(b, file)
    expect(b.manifest.weightHash).toBe(hash)
    expect([...(await features(b))]).toEqual([...(await features(a))])
    a.dispose(); b.dispose()
  })

  it('refuses pickle checkpoints with a conversion recipe', () => {
    const m = createModel('smallcnn', { width: 4, depth: 1 })
    expect(() => loadSafetensorsFile(m, '/x/resnet18.pth')).toThrow(/pickle.*save_file/)
    m.dispose()
  })

  it('TF.js export → import round-trips a zoo model', async () => {
    const dir = tempDir()
    const a = createModel('smallcnn', { width: 8, depth: 2, seed: 5 })
    const hash = await exportTfjs(a, dir)
    const b = await importTfjs(join(dir, 'model.json'))
    expect(b.manifest.arch).toBe('smallcnn')
    expect(b.manifest.weightHash).toBe(hash)
    expect([...(await features(b))]).toEqual([...(await features(a))])
    a.dispose(); b.dispose()
  })

  it('imports an allowlisted TF.js layers model as a feature extractor, and it trains on wasm', async () => {
    const dir = tempDir()
    const m = tf.sequential({ layers: [
      tf.layers.conv2d({ inputShape: [32, 32, 3], filters: 4, kernelSize: 3, strides: 2, padding: 'same' }),
      tf.layers.batchNormalization(), tf.layers.reLU(), tf.layers.globalAveragePooling2d({}), tf.layers.dense({ units: 6 })
    ] })
    const file = await saveLayers(m, dir)
    const ref = await features({ apply: (x) => m.predict(x) as tf.Tensor2D })
    const imported = await importTfjs(file)
    expect(imported.manifest.outputDim).toBe(6)
    const got = await features(imported)
    got.forEach((v, i) => expect(v).toBeCloseTo(ref[i] as number, 5))
    const vars = imported.params.trainableVariables()
    const x = tf.randomNormal([2, 32, 32, 3]) as tf.Tensor4D
    const { value, grads } = tf.variableGrads(() => tf.mean(tf.square(imported.apply(x, true))) as tf.Scalar, vars)
    expect(Object.keys(grads).length).toBe(vars.length)
    tf.dispose([x, value, ...Object.values(grads)])
    imported.dispose(); m.dispose()
  })

  it('refuses TF.js layers models with layer classes outside the allowlist', async () => {
    const dir = tempDir()
    const m = tf.sequential({ layers: [tf.layers.depthwiseConv2d({ inputShape: [8, 8, 3], kernelSize: 3 }), tf.layers.globalAveragePooling2d({})] })
    const file = await saveLayers(m, dir)
    await expect(importTfjs(file)).rejects.toThrow(/DepthwiseConv2D are not allowed/)
    m.dispose()
  })
})

describe('state dict export', () => {
  it('the (async) export holds every parameter, in torch layout, with the model values', async () => {
    await useBackend('wasm')
    const { exportStateDict, tfToTorch } = await import('../../../src-main/ml/weights')
    const m = createModel('smallcnn', { width: 4, depth: 2, seed: 2 })
    const b = await exportStateDict(m)
    expect([...b.keys()]).toEqual(m.params.params.map((p) => p.name))
    for (const p of m.params.params) {
      const direct = tfToTorch({ shape: p.variable.shape, data: p.variable.dataSync() as Float32Array }, p.layout)
      expect([...(b.get(p.name)?.data ?? [])]).toEqual([...direct.data])
    }
    m.dispose()
  })
})
