// Child-process entry that opens a model file once at import (ONNX graph on onnxruntime, safetensors loaded into the
// zoo architecture on TF.js's CPU backend) and reports what it found. A hostile or broken file can crash, hang or
// balloon only this process (models/model-check.ts kills it on timeout). One request per process.
import '../core/child-ipc' // first: bridges an Electron utility process's parentPort to process.send/on('message')
import type { ModelCheckReply, ModelCheckRequest } from '../models/model-check'
import { embeddedManifest } from '../models/model-check'
import { nonFiniteTensors } from '../models/finite'
import { ARCH_DEFAULTS } from '../models/manifest'

async function check(req: ModelCheckRequest): Promise<ModelCheckReply> {
  if (req.format === 'onnx') {
    const { openOnnxEncoder } = await import('../interop/onnx-encoder')
    const enc = await openOnnxEncoder(req.file, { provider: 'cpu', threads: 1, ...(req.inputSize ? { inputSize: req.inputSize } : {}) })
    const reply: ModelCheckReply = { ok: true, format: 'onnx', inputSize: enc.inputSize, outputDim: enc.outputDim }
    await enc.close()
    return reply
  }
  const { readSafetensorsFile } = await import('../interop/safetensors-file')
  const parsed = readSafetensorsFile(req.file)
  const names = [...parsed.tensors.keys()]
  const poisoned = nonFiniteTensors(parsed.tensors)
  const fileArch = parsed.metadata['arch']
  let fit: string | null = null
  if (names.length > 0 && poisoned.length === 0 && (!fileArch || fileArch === req.arch)) {
    // load once into the architecture the user named: missing, unexpected or mis-shaped tensors are found now,
    // not at the first extraction
    const tf = await import('@tensorflow/tfjs')
    await tf.setBackend('cpu')
    const { createModel } = await import('../ml/models/zoo')
    const { loadStateDict } = await import('../ml/weights')
    const embedded = embeddedManifest(parsed.metadata)
    const o = embedded.options
    const model = createModel(req.arch, {
      inputSize: req.inputSize ?? embedded.inputSize ?? ARCH_DEFAULTS[req.arch]?.inputSize ?? 224,
      ...(typeof o['width'] === 'number' ? { width: o['width'] } : {}),
      ...(typeof o['depth'] === 'number' ? { depth: o['depth'] } : {})
    })
    try {
      loadStateDict(model, parsed.tensors, { source: req.file })
    } catch (e) {
      fit = (e as Error).message
    } finally {
      model.dispose()
    }
  }
  return { ok: true, format: 'safetensors', names, poisoned, metadata: parsed.metadata, fit }
}

process.once('message', (req: ModelCheckRequest) => {
  void check(req)
    .then((r) => process.send?.(r))
    .catch((e: unknown) => process.send?.({ ok: false, message: (e as Error).message || String(e) } satisfies ModelCheckReply))
    .finally(() => setTimeout(() => process.exit(0), 20))
})
process.on('disconnect', () => process.exit(1))
