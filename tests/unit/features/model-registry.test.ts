// Model registry through the API: import (ONNX, safetensors, bundle), list, export atomically with SHA256SUMS,
// tamper detection, pickle refusal, overwrite protection.
import { afterEach, describe, expect, it } from 'vitest'
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createCore, type Core } from '../../../src-main/core/core'
import { writeSafetensors } from '../../../src-main/interop/safetensors'
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

  it('imports safetensors for a zoo arch and exports them byte-identical', async () => {
    const { core, dir } = open()
    const st = join(dir, 'w.safetensors')
    writeFileSync(st, writeSafetensors({ 'fc.weight': { shape: [2, 3], data: new Float32Array([1, 2, 3, 4, 5, 6]) } }, { metadata: { arch: 'resnet18' } }))
    const rec = (await core.dispatch('model.import', { file: st, name: 'r18', arch: 'resnet18' })) as ModelRecord
    expect(rec.manifest).toMatchObject({ arch: 'resnet18', inputSize: 224, outputDim: 512, weightsFormat: 'safetensors', tensors: 1, weightNaming: 'torchvision' })
    const out = join(dir, 'out')
    await core.dispatch('model.export', { model: rec.id, format: 'safetensors', out })
    expect(readFileSync(join(out, 'r18.safetensors'))).toEqual(readFileSync(st))
    expect(readFileSync(join(out, 'SHA256SUMS'), 'utf8')).toMatch(new RegExp(`^${rec.weightsHash}  r18\\.safetensors$`, 'm'))
    // TF.js weights: model.json weightsManifest + one float32 shard, same names and values
    const tfjsOut = join(dir, 'tfjs')
    const t = (await core.dispatch('model.export', { model: 'r18', format: 'tfjs', out: tfjsOut })) as ModelExportReply
    expect(t.files.map((f) => f.name).sort()).toEqual(['group1-shard1of1.bin', 'manifest.json', 'model.json'])
    const mj = JSON.parse(readFileSync(join(tfjsOut, 'model.json'), 'utf8')) as { weightsManifest: { paths: string[]; weights: { name: string; shape: number[]; dtype: string }[] }[] }
    expect(mj.weightsManifest[0]?.weights).toEqual([{ name: 'fc.weight', shape: [2, 3], dtype: 'float32' }])
    const shard = readFileSync(join(tfjsOut, 'group1-shard1of1.bin'))
    expect(Array.from(new Float32Array(shard.buffer, shard.byteOffset, 6))).toEqual([1, 2, 3, 4, 5, 6])
    await expect(core.dispatch('model.import', { file: st, name: 'vit', arch: 'vit_small' })).rejects.toThrow(/says arch "resnet18"/)
    await expect(core.dispatch('model.import', { file: st, name: 'r18', arch: 'resnet18' })).rejects.toThrow(/already exists/)
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
