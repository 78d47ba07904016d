// Zoo models behind the PatchEncoder interface: NCHW batches in, the same features as the model's own forward pass
// on NHWC input (weights loaded from the safetensors the registry stores).
import { describe, expect, it } from 'vitest'
import { join } from 'node:path'
import * as tf from '@tensorflow/tfjs'
import { createModel } from '../../../src-main/ml/models/zoo'
import { saveSafetensorsFile } from '../../../src-main/ml/weights'
import { openModelEncoder } from '../../../src-main/workers/encoders'
import { tempDir } from '../../helpers/tmp'

describe('zoo encoder adapter', () => {
  it('encodes NCHW batches exactly as the zoo model does on NHWC', async () => {
    const file = join(tempDir(), 'small.safetensors')
    const model = createModel('smallcnn', { width: 4, depth: 2, inputSize: 16, seed: 3 })
    await saveSafetensorsFile(model, file)
    const s = 16
    const n = 3
    const nchw = new Float32Array(n * 3 * s * s).map((_, i) => Math.sin(i * 0.37))
    const enc = await openModelEncoder({ name: 'small', arch: 'smallcnn', weightsFormat: 'safetensors', inputSize: s, options: { width: 4, depth: 2 } }, file)
    expect(enc.backend).toMatch(/^tfjs-/)
    const got = await enc.encode(nchw, n)
    expect(got.length).toBe(n * model.manifest.outputDim)
    const expected = tf.tidy(() => model.apply(tf.tensor4d(nchw, [n, 3, s, s]).transpose([0, 2, 3, 1]) as tf.Tensor4D, false))
    const ref = await expected.data()
    expected.dispose()
    ref.forEach((v, i) => expect(Math.abs(v - (got[i] as number))).toBeLessThan(1e-5))
    await enc.close()
    model.dispose()
  })
})
