// Opens the patch encoder of a registered (or loose) model: ONNX graphs on onnxruntime-node, zoo architectures
// (safetensors) on TF.js with the backend chosen by ml/backend.ts. Lives in workers/ because TF.js may load only here.
import type * as Tf from '@tensorflow/tfjs'
import type { ModelManifest } from '../models/manifest'
import { openOnnxEncoder, type PatchEncoder } from '../interop/onnx-encoder'

export interface EncoderOptions {
  /** ONNX execution provider ('auto' tries CUDA, reports why not) */
  provider?: 'auto' | 'cpu' | 'cuda'
  threads?: number
}

export async function openModelEncoder(
  manifest: Pick<ModelManifest, 'arch' | 'weightsFormat' | 'inputSize' | 'options' | 'name'>,
  weightsFile: string,
  opts: EncoderOptions = {}
): Promise<PatchEncoder> {
  if (manifest.weightsFormat === 'onnx') {
    return openOnnxEncoder(weightsFile, { provider: opts.provider ?? 'auto', inputSize: manifest.inputSize, ...(opts.threads ? { threads: opts.threads } : {}) })
  }
  return openZooEncoder(manifest, weightsFile)
}

/** A TF.js zoo model with safetensors weights behind the PatchEncoder interface (NCHW in, transposed to NHWC). */
async function openZooEncoder(manifest: Pick<ModelManifest, 'arch' | 'inputSize' | 'options' | 'name'>, weightsFile: string): Promise<PatchEncoder> {
  const tf = await import('@tensorflow/tfjs')
  const { initBackend } = await import('../ml/backend')
  const { createModel } = await import('../ml/models/zoo')
  const { loadSafetensorsFile } = await import('../ml/weights')
  const report = await initBackend()
  const o = manifest.options
  const model = createModel(manifest.arch, {
    inputSize: manifest.inputSize,
    ...(typeof o['width'] === 'number' ? { width: o['width'] } : {}),
    ...(typeof o['depth'] === 'number' ? { depth: o['depth'] } : {})
  })
  try {
    loadSafetensorsFile(model, weightsFile)
  } catch (e) {
    model.dispose()
    throw new Error(`model "${manifest.name}" (${manifest.arch}): ${(e as Error).message}`)
  }
  const s = manifest.inputSize
  const { measureComputeCost } = await import('../ml/compute-cost')
  const cost = await measureComputeCost(model)
  return {
    name: manifest.name,
    backend: `tfjs-${report.chosen}`,
    cost,
    inputSize: s,
    outputDim: model.manifest.outputDim,
    notes: [report.why],
    async encode(batch, n) {
      const y = tf.tidy(() => model.apply(tf.tensor4d(batch, [n, 3, s, s]).transpose([0, 2, 3, 1]) as Tf.Tensor4D, false))
      // read outside tidy (compute.md §7: returning typed arrays from tidy is slow)
      const data = (await y.data()) as Float32Array
      y.dispose()
      return data
    },
    async close() {
      model.dispose()
    }
  }
}
