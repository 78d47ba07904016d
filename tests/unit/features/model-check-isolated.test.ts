// Hostile model files at import (issue 17 items 7 and 15): ONNX graphs and safetensors are opened in a child process
// (models/model-check.ts), never in the door's; a malformed graph or a crashing child refuses the import and the
// core keeps answering. safetensors are read by ranges: a header declaring more than the file holds is refused
// having read the header only.
import { afterEach, describe, expect, it } from 'vitest'
import { closeSync, openSync, readFileSync, writeFileSync, writeSync, ftruncateSync } from 'node:fs'
import { join } from 'node:path'
import { createCore, type Core } from '../../../src-main/core/core'
import { nodeLauncher, setChildLauncher } from '../../../src-main/core/child-launch'
import { readSafetensorsFile, readStats } from '../../../src-main/interop/safetensors-file'
import type { ModelRecord } from '../../../src-shared/domain/types'
import { tempDir } from '../../helpers/tmp'

const onnxFile = join(__dirname, '..', '..', 'fixtures', 'models', 'tiny-encoder.onnx')
let core: Core | null = null
afterEach(() => {
  core?.close()
  core = null
  setChildLauncher(nodeLauncher)
})

function open(): { core: Core; dir: string } {
  const dir = tempDir('model-check-')
  core = createCore({ dbPath: join(dir, 'db', 't.db'), door: 'cli' })
  return { core, dir }
}

const entryNames = (started: string[]): string[] => started.map((f) => f.split(/[\\/]/).pop() as string)

describe('model files are opened in a child process', () => {
  it('a truncated ONNX graph is refused by the child, naming the file; the core keeps answering', { timeout: 60_000 }, async () => {
    const { core, dir } = open()
    const started: string[] = []
    setChildLauncher((file, o) => {
      started.push(file)
      return nodeLauncher(file, o)
    })
    const cut = join(dir, 'cut.onnx')
    const bytes = readFileSync(onnxFile)
    writeFileSync(cut, bytes.subarray(0, Math.floor(bytes.length / 2)))
    await expect(core.dispatch('model.import', { file: cut, name: 'cut', arch: 'onnx' })).rejects.toThrow(/cut\.onnx: /)
    expect(entryNames(started)).toEqual(['model-check-main.ts'])
    // the same door imports a good graph next (through a fresh child)
    const rec = (await core.dispatch('model.import', { file: onnxFile, name: 'tiny', arch: 'onnx' })) as ModelRecord
    expect(rec.manifest).toMatchObject({ inputSize: 32, outputDim: 24 })
    expect(entryNames(started)).toEqual(['model-check-main.ts', 'model-check-main.ts'])
  })

  it('a child that dies (as on a crash in native code) refuses the import with the cause; nothing is stored', { timeout: 60_000 }, async () => {
    const { core } = open()
    setChildLauncher((file, o) => {
      const child = nodeLauncher(file, o)
      child.kill('SIGSEGV')
      return child
    })
    await expect(core.dispatch('model.import', { file: onnxFile, name: 'tiny', arch: 'onnx' })).rejects.toThrow(/tiny-encoder\.onnx: not a loadable model: the model check stopped \(SIGSEGV\)/)
    setChildLauncher(nodeLauncher)
    expect((await core.dispatch('model.list', {})) as ModelRecord[]).toEqual([])
  })
})

describe('safetensors are read by ranges', () => {
  it('a header declaring more data than the file holds is refused having read only the header', () => {
    const dir = tempDir('st-range-')
    const file = join(dir, 'huge.safetensors')
    // 1 GiB sparse file (no disk used) whose header declares a 16 GiB tensor
    const header = Buffer.from(JSON.stringify({ 'conv1.weight': { dtype: 'F32', shape: [1 << 30, 4], data_offsets: [0, 2 ** 34] } }))
    const len = Buffer.alloc(8)
    len.writeBigUInt64LE(BigInt(header.length))
    const fd = openSync(file, 'w')
    writeSync(fd, Buffer.concat([len, header]), 0, 8 + header.length, 0)
    ftruncateSync(fd, 2 ** 30)
    closeSync(fd)
    expect(() => readSafetensorsFile(file)).toThrow(/huge\.safetensors: tensor 'conv1\.weight': data_offsets \[0, 17179869184\] run past the data section/)
    expect(readStats.bytes).toBe(8 + 8 + header.length) // the length, then the header: no tensor byte
  })

  it('reads a valid file tensor by tensor with the same values as the in-memory parser', async () => {
    const { writeSafetensors, readSafetensors } = await import('../../../src-main/interop/safetensors')
    const dir = tempDir('st-range-')
    const file = join(dir, 'w.safetensors')
    const bytes = writeSafetensors({ a: { shape: [2, 2], data: new Float32Array([1, 2, 3, 4]) }, 'b.num_batches_tracked': { shape: [], data: new Float32Array([7]) } }, { metadata: { arch: 'x' } })
    writeFileSync(file, bytes)
    const ranged = readSafetensorsFile(file)
    const whole = readSafetensors(bytes, file)
    expect(ranged).toEqual(whole)
    expect(readStats.bytes).toBe(bytes.length + 8) // the 8-byte length is read twice, every other byte once
  })
})
