// Model registry through the API: import (ONNX, safetensors, bundle), list, export atomically with SHA256SUMS,
// tamper detection, pickle refusal, overwrite protection; weights that do not fit --arch are refused at import.
import { afterEach, describe, expect, it } from 'vitest'
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createCore, type Core } from '../../../src-main/core/core'
import * as tf from '@tensorflow/tfjs'
import { writeSafetensors } from '../../../src-main/interop/safetensors'
import { createModel } from '../../../src-main/ml/models/zoo'
import { exportStateDict, saveSafetensorsFile } from '../../../src-main/ml/weights'
import type { ModelRecord } from '../../../src-shared/domain/types'
import type { ModelExportReply } from '../../../src-shared/contracts/models'
import { tempDir } from '../../helpers/tmp'

const onnxFile = join(__dirname, '..', '..', 'fixtures', 'models', 'tiny-encoder.onnx')
let core: Core | null = null
afterEach(() => {
  core?.close()
  core = null
})

function open(): { core: Core; dir: string } {
  const dir = tempDir()
  core = createCore({ dbPath: join(dir, 'db', 't.db'), door: 'cli' })
  return { core, dir }
}

describe('model registry', () => {
  it('imports an ONNX model with a manifest read from the graph, and exports/re-imports a verified bundle', async () => {
    const { core, dir } = open()
    const rec = (await core.dispatch('model.import', { file: onnxFile, name: 'tiny', arch: 'onnx', mpp: 0.5 })) as ModelRecord
    expect(rec).toMatchObject({ name: 'tiny', kind: 'teacher' })
    expect(rec.manifest).toMatchObject({ arch: 'onnx', inputSize: 32, outputDim: 24, mpp: 0.5, weightsFormat: 'onnx', mean: [0.485, 0.456, 0.406] })
    expect(rec.weightsHash).toMatch(/^[0-9a-f]{64}$/)
    expect(rec.weightsPath).toBe(join(dir, 'db', 'models', rec.weightsHash as string, 'weights.onnx'))
    expect(readFileSync(rec.weightsPath as string)).toEqual(readFileSync(onnxFile))
    expect((await core.dispatch('model.list', {})) as ModelRecord[]).toHaveLength(1)

    const out = join(dir, 'export', 'tiny')
    const exp = (await core.dispatch('model.export', { model: 'tiny', format: 'onnx', out })) as ModelExportReply
    expect(exp.files.map((f) => f.name).sort()).toEqual(['manifest.json', 'tiny.onnx'])
    expect(readdirSync(join(dir, 'export'))).toEqual(['tiny']) // no temp folder left
    await expect(core.dispatch('model.export', { model: 'tiny', format: 'onnx', out })).rejects.toThrow(/already exists \(use --force/)
    await core.dispatch('model.export', { model: 'tiny', format: 'onnx', out, force: true })
    await expect(core.dispatch('model.export', { model: 'tiny', format: 'safetensors', out: join(dir, 'x') })).rejects.toThrow(/exports as --format onnx/)
    await expect(core.dispatch('model.export', { model: 'tiny', format: 'tfjs', out: join(dir, 'y') })).rejects.toThrow(/ONNX graph; TF.js export needs a zoo model/)

    const again = (await core.dispatch('model.import', { file: out, name: 'tiny-again', arch: 'onnx' })) as ModelRecord
    expect(again.weightsHash).toBe(rec.weightsHash)
    expect(again.manifest).toMatchObject({ inputSize: 32, outputDim: 24, mpp: 0.5 })

    // one changed byte in the bundle is detected
    const w = join(out, 'tiny.onnx')
    const bytes = readFileSync(w)
    bytes[bytes.length - 3] = (bytes[bytes.length - 3] as number) ^ 0xff
    writeFileSync(w, bytes)
    await expect(core.dispatch('model.import', { file: out, name: 'tampered', arch: 'onnx' })).rejects.toThrow(/tiny\.onnx does not match its SHA-256/)
  })

  it('imports safetensors for a zoo arch and exports them byte-identical', { timeout: 60_000 }, async () => {
    const { core, dir } = open()
    const st = join(dir, 'w.safetensors')
    // real smallcnn weights (the import loads them into the architecture, so a partial state dict would be refused)
    await tf.setBackend('cpu')
    const model = createModel('smallcnn', { seed: 3, width: 4, depth: 2, inputSize: 32 })
    await saveSafetensorsFile(model, st)
    const sd = await exportStateDict(model)
    model.dispose()
    const rec = (await core.dispatch('model.import', { file: st, name: 'cnn', arch: 'smallcnn' })) as ModelRecord
    expect(rec.manifest).toMatchObject({ arch: 'smallcnn', inputSize: 32, weightsFormat: 'safetensors', tensors: sd.size, weightNaming: 'tessera', options: { width: 4, depth: 2 } })
    const out = join(dir, 'out')
    await core.dispatch('model.export', { model: rec.id, format: 'safetensors', out })
    expect(readFileSync(join(out, 'cnn.safetensors'))).toEqual(readFileSync(st))
    expect(readFileSync(join(out, 'SHA256SUMS'), 'utf8')).toMatch(new RegExp(`^${rec.weightsHash}  cnn\\.safetensors$`, 'm'))
    // TF.js weights: model.json weightsManifest + one float32 shard, same names, shapes and values (sorted by name)
    const tfjsOut = join(dir, 'tfjs')
    const t = (await core.dispatch('model.export', { model: 'cnn', format: 'tfjs', out: tfjsOut })) as ModelExportReply
    expect(t.files.map((f) => f.name).sort()).toEqual(['group1-shard1of1.bin', 'manifest.json', 'model.json'])
    const mj = JSON.parse(readFileSync(join(tfjsOut, 'model.json'), 'utf8')) as { weightsManifest: { paths: string[]; weights: { name: string; shape: number[]; dtype: string }[] }[] }
    const names = [...sd.keys()].sort()
    expect(mj.weightsManifest[0]?.weights).toEqual(names.map((name) => ({ name, shape: sd.get(name)?.shape, dtype: 'float32' })))
    const shard = readFileSync(join(tfjsOut, 'group1-shard1of1.bin'))
    const first = sd.get(names[0] as string)?.data as Float32Array
    expect(Array.from(new Float32Array(shard.buffer, shard.byteOffset, first.length))).toEqual(Array.from(first))
    await expect(core.dispatch('model.import', { file: st, name: 'vit', arch: 'vit_small' })).rejects.toThrow(/says arch "smallcnn"/)
    await expect(core.dispatch('model.import', { file: st, name: 'cnn', arch: 'smallcnn' })).rejects.toThrow(/already exists/)
  })

  it('refuses safetensors that do not fit --arch at import, naming the file and the tensors (checked in a child process)', { timeout: 60_000 }, async () => {
    const { core, dir } = open()
    // a head alone: no resnet18 backbone tensor is there
    const head = join(dir, 'head.safetensors')
    writeFileSync(head, writeSafetensors({ 'fc.weight': { shape: [2, 3], data: new Float32Array([1, 2, 3, 4, 5, 6]) } }, { metadata: { arch: 'resnet18' } }))
    await expect(core.dispatch('model.import', { file: head, name: 'h', arch: 'resnet18' })).rejects.toThrow(/head\.safetensors: weights do not fit resnet18: missing \d+ tensor\(s\): conv1\.weight/)
    // a full state dict with one tensor of the wrong shape (weights of a wider net)
    await tf.setBackend('cpu')
    const m = createModel('smallcnn', { seed: 1, width: 4, depth: 2, inputSize: 32 })
    const sd = await exportStateDict(m)
    m.dispose()
    const [name, t] = [...sd].find(([k]) => k.endsWith('weight') && (sd.get(k)?.shape.length ?? 0) === 4) as [string, { shape: number[]; data: Float32Array }]
    const wider = [t.shape[0]! + 1, ...t.shape.slice(1)]
    sd.set(name, { shape: wider, data: new Float32Array(wider.reduce((a, b) => a * b, 1)) })
    const mis = join(dir, 'mis.safetensors')
    writeFileSync(mis, writeSafetensors(sd))
    const msg = await core.dispatch('model.import', { file: mis, name: 'm', arch: 'smallcnn', inputSize: 32 }).then(() => 'imported', (e: Error) => e.message)
    expect(msg).toContain(`${mis}: weights do not fit smallcnn`)
    expect(msg).toContain(`'${name}' has shape ${JSON.stringify(wider)}`)
    expect(existsSync(join(dir, 'db', 'models'))).toBe(false) // nothing stored
    expect((await core.dispatch('model.list', {})) as ModelRecord[]).toEqual([]) // and the core is still answering
  })

  it('refuses pickles, unknown archs, malformed weights and mismatched formats with clear messages', async () => {
    const { core, dir } = open()
    const pth = join(dir, 'model.pth')
    writeFileSync(pth, Buffer.from([0x80, 0x02, 0x7d, 0x71]))
    await expect(core.dispatch('model.import', { file: pth, name: 'p', arch: 'resnet18' })).rejects.toThrow(/model\.pth: PyTorch pickle .* Convert it to safetensors/)
    const disguised = join(dir, 'model.safetensors')
    writeFileSync(disguised, Buffer.from('PK\u0003\u0004 torch zip'))
    await expect(core.dispatch('model.import', { file: disguised, name: 'p', arch: 'resnet18' })).rejects.toThrow(/pickle/)
    await expect(core.dispatch('model.import', { file: onnxFile, name: 'x', arch: 'alexnet' })).rejects.toThrow(/unknown --arch "alexnet"/)
    await expect(core.dispatch('model.import', { file: onnxFile, name: 'x', arch: 'resnet18' })).rejects.toThrow(/needs \.safetensors/)
    const bad = join(dir, 'bad.safetensors')
    writeFileSync(bad, Buffer.concat([Buffer.from([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]), Buffer.from('{}')]))
    await expect(core.dispatch('model.import', { file: bad, name: 'x', arch: 'resnet18' })).rejects.toThrow(/bad\.safetensors/)
    const junk = join(dir, 'junk.onnx')
    writeFileSync(junk, 'not onnx')
    await expect(core.dispatch('model.import', { file: junk, name: 'x', arch: 'onnx' })).rejects.toThrow(/junk\.onnx: not a loadable ONNX model/)
    expect(existsSync(join(dir, 'db', 'models'))).toBe(false) // nothing stored for refused files
  })
})
