// TF.js weights artifacts from safetensors: `model.json` with a `weightsManifest` (one float32 shard) and the
// Tessera manifest in `userDefinedMetadata`; loadable with tf.io.loadWeights / a custom IOHandler. No layers topology
// is written (zoo models are built in code from the manifest), and tensors keep PyTorch names and layouts
// (conv OIHW, linear [out,in]) so the names match the safetensors export.
import { join } from 'node:path'
import { readSafetensorsFile } from '../interop/safetensors-file'
import { writeDurable } from './atomic-files'
import type { ModelManifest } from './manifest'

export const TFJS_SHARD = 'group1-shard1of1.bin'

/** Write model.json + one shard into `dir`; returns the file names written. */
export function writeTfjsWeights(dir: string, safetensorsFile: string, manifest: ModelManifest): string[] {
  const parsed = readSafetensorsFile(safetensorsFile)
  const names = [...parsed.tensors.keys()].sort()
  const total = names.reduce((n, k) => n + (parsed.tensors.get(k)?.data.length ?? 0), 0)
  const shard = new Float32Array(total)
  let off = 0
  const weights = names.map((name) => {
    const t = parsed.tensors.get(name) as { shape: number[]; data: Float32Array }
    shard.set(t.data, off)
    off += t.data.length
    return { name, shape: t.shape, dtype: 'float32' }
  })
  writeDurable(join(dir, TFJS_SHARD), new Uint8Array(shard.buffer))
  const modelJson = {
    format: 'weights-only',
    generatedBy: 'tessera',
    convertedBy: `tessera from ${manifest.weightsFile}`,
    modelTopology: null,
    weightsManifest: [{ paths: [TFJS_SHARD], weights }],
    userDefinedMetadata: { tessera: { ...manifest, layout: 'torch (conv OIHW, linear [out,in])' } }
  }
  writeDurable(join(dir, 'model.json'), JSON.stringify(modelJson))
  return ['model.json', TFJS_SHARD]
}
