// Poisoned weights and features (issue 17 item 13): a safetensors file holding NaN/Inf is refused at import, naming
// the tensors; an encoder that emits a non-finite feature fails the slide with a message naming the patch.
import { afterEach, describe, expect, it } from 'vitest'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createCore, type Core } from '../../../src-main/core/core'
import { writeSafetensors } from '../../../src-main/interop/safetensors'
import { encodePatches } from '../../../src-main/workers/features-extract-loop'
import type { PatchEncoder } from '../../../src-main/interop/onnx-encoder'
import { tempDir } from '../../helpers/tmp'

let core: Core | null = null
afterEach(() => {
  core?.close()
  core = null
})

describe('non-finite weights and features', () => {
  it('refuses safetensors weights holding NaN/Inf and names the tensors', async () => {
    const dir = tempDir()
    core = createCore({ dbPath: join(dir, 't.db'), door: 'cli' })
    const file = join(dir, 'w.safetensors')
    const bad = new Float32Array(16).fill(0.5)
    bad[3] = NaN
    bad[7] = Infinity
    writeFileSync(file, writeSafetensors({ 'conv1.weight': { shape: [16], data: bad }, 'fc.bias': { shape: [2], data: new Float32Array([1, 2]) } }))
    await expect(core.dispatch('model.import', { file, name: 'nan', arch: 'resnet18' })).rejects.toThrow(/w\.safetensors: not imported: 1 tensor\(s\) hold non-finite values \(NaN\/Inf\): conv1\.weight \(2 of 16 values\)/)
    expect(await core.dispatch('model.list', {})).toEqual([])
  })

  it('fails a slide whose encoder emits a non-finite feature, naming the patch', async () => {
    const patches = Array.from({ length: 10 }, (_, i) => ({ x: i * 64, y: 128 }))
    const encoder = (poisonAt: number | null): PatchEncoder => {
      let seen = 0
      return {
        name: 'fake',
        backend: 'test',
        inputSize: 8,
        outputDim: 4,
        notes: [],
        async encode(_batch, n) {
          const out = new Float32Array(n * 4).fill(0.25)
          if (poisonAt !== null && poisonAt >= seen && poisonAt < seen + n) out[(poisonAt - seen) * 4 + 2] = NaN
          seen += n
          return out
        },
        async close() {}
      }
    }
    const run = (enc: PatchEncoder): ReturnType<typeof encodePatches> =>
      encodePatches({
        patches,
        read: async () => ({ width: 8, height: 8, data: new Uint8Array(8 * 8 * 4).fill(200) }),
        encoder: enc,
        preprocessing: { inputSize: 8, mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25] },
        batchSize: 4,
        readers: 2,
        signal: new AbortController().signal
      })
    expect((await run(encoder(null))).vectors).toHaveLength(40)
    await expect(run(encoder(6))).rejects.toThrow(/non-finite features \(NaN\/Inf\) for the patch at level-0 \(384, 128\)/)
  })
})
