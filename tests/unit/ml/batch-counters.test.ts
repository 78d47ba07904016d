// torchvision-named weights without BatchNorm `num_batches_tracked` counters (PyTorch exports often drop them) load,
// give the same features as with the counters, and the import report says they were absent.
import * as tf from '@tensorflow/tfjs'
import { join } from 'node:path'
import { writeFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createCore, type Core } from '../../../src-main/core/core'
import { writeSafetensors } from '../../../src-main/interop/safetensors'
import { createModel } from '../../../src-main/ml/models/zoo'
import { exportStateDict, loadSafetensorsFile, loadStateDict } from '../../../src-main/ml/weights'
import type { ModelRecord } from '../../../src-shared/domain/types'
import { tempDir } from '../../helpers/tmp'

let core: Core | null = null
beforeAll(async () => {
  await tf.setBackend('cpu')
})
afterAll(() => core?.close())

describe('absent num_batches_tracked', () => {
  it('a resnet18 state dict without its counters loads and gives the same features', { timeout: 60_000 }, async () => {
    const src = createModel('resnet18', { seed: 5, inputSize: 32 })
    const sd = await exportStateDict(src)
    const stripped = new Map([...sd].filter(([k]) => !k.endsWith('.num_batches_tracked')))
    expect(sd.size - stripped.size).toBe(20)
    const full = createModel('resnet18', { seed: 9, inputSize: 32 })
    const partial = createModel('resnet18', { seed: 9, inputSize: 32 })
    loadStateDict(full, sd)
    const r = loadStateDict(partial, stripped)
    expect(r.absentCounters).toHaveLength(20)
    const x = tf.randomUniform([2, 32, 32, 3], 0, 1, 'float32', 1) as tf.Tensor4D
    const a = full.apply(x, false).dataSync()
    const b = partial.apply(x, false).dataSync()
    expect(Array.from(b)).toEqual(Array.from(a))
    // anything else missing is still refused
    const noWeight = new Map([...stripped].filter(([k]) => k !== 'layer1.0.bn1.weight'))
    expect(() => loadStateDict(createModel('resnet18', { inputSize: 32 }), noWeight, { source: 'f.safetensors' })).toThrow(/f\.safetensors: .*missing 1 tensor\(s\): layer1\.0\.bn1\.weight/)
    for (const m of [src, full, partial]) m.dispose()
  })

  it('model import accepts the file and says so in its report; the registered weights open', { timeout: 60_000 }, async () => {
    const dir = tempDir('nbt-')
    const sd = await exportStateDict(createModel('resnet18', { seed: 5, inputSize: 32 }))
    const file = join(dir, 'torchvision-r18.safetensors')
    writeFileSync(file, writeSafetensors(new Map([...sd].filter(([k]) => !k.endsWith('.num_batches_tracked')))))
    core = createCore({ dbPath: join(dir, 't.db'), door: 'cli' })
    const rec = (await core.dispatch('model.import', { file, name: 'r18', arch: 'resnet18', inputSize: 32 })) as ModelRecord
    expect(rec.manifest['importNotes']).toEqual([expect.stringMatching(/^20 BatchNorm num_batches_tracked counter\(s\) absent \(e\.g\. bn1\.num_batches_tracked\): accepted/)])
    const m = createModel('resnet18', { inputSize: 32 })
    expect(loadSafetensorsFile(m, rec.weightsPath as string).absentCounters).toHaveLength(20)
    m.dispose()
    // a complete file has no note
    const whole = join(dir, 'whole.safetensors')
    writeFileSync(whole, writeSafetensors(sd))
    const rec2 = (await core.dispatch('model.import', { file: whole, name: 'r18-whole', arch: 'resnet18', inputSize: 32 })) as ModelRecord
    expect(rec2.manifest['importNotes']).toEqual([])
  })
})
