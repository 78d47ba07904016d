// TF.js model files in and out. Export: model.json + weights.bin in the standard tfjs weights-manifest format, named by
// torch names in tfjs layout, with the Tessera manifest (format 'tessera-zoo'), so a zoo model round-trips.
// Import: either such a file (rebuilt from its manifest), or a TF.js *layers* model (Keras-style model.json) whose
// layer classes are all in an allowlist of layers that have gradients on wasm; it is wrapped as a feature extractor.
import * as tf from '@tensorflow/tfjs'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { createModel } from './models/zoo'
import type { ModelManifest, ZooModel } from './models/manifest'
import { ParamStore } from './nn/params'
import { exportStateDict, weightHash } from './weights'
import { describeJsonError } from '../core/safe-open'

/** Keras layer classes accepted from TF.js layers models (all have gradients on wasm with Tessera's shims). */
export const allowedLayerClasses = new Set([
  'InputLayer', 'Sequential', 'Model', 'Functional', 'Conv2D', 'Dense', 'BatchNormalization', 'LayerNormalization', 'Activation',
  'ReLU', 'ZeroPadding2D', 'MaxPooling2D', 'AveragePooling2D', 'GlobalAveragePooling2D', 'GlobalMaxPooling2D', 'Add', 'Multiply',
  'Concatenate', 'Flatten', 'Dropout', 'Reshape'
])

interface WeightsGroup { paths: string[]; weights: { name: string; shape: number[]; dtype: string }[] }
interface ModelJson { format?: string; modelTopology?: unknown; weightsManifest?: WeightsGroup[]; tessera?: ModelManifest }

export async function exportTfjs(model: ZooModel, outDir: string): Promise<string> {
  mkdirSync(outDir, { recursive: true })
  const specs: WeightsGroup['weights'] = model.params.params.map((p) => ({ name: p.name, shape: p.variable.shape, dtype: 'float32' }))
  const chunks = await Promise.all(model.params.params.map((p) => p.variable.data() as Promise<Float32Array>))
  const total = chunks.reduce((n, c) => n + c.length, 0), all = new Float32Array(total)
  let o = 0
  for (const c of chunks) { all.set(c, o); o += c.length }
  const hash = weightHash(await exportStateDict(model))
  model.manifest.weightHash = hash
  writeFileSync(join(outDir, 'weights.bin'), new Uint8Array(all.buffer))
  const json: ModelJson = { format: 'tessera-zoo', tessera: { ...model.manifest }, weightsManifest: [{ paths: ['weights.bin'], weights: specs }] }
  writeFileSync(join(outDir, 'model.json'), JSON.stringify(json, null, 1))
  return hash
}

function readWeights(file: string, json: ModelJson): { specs: WeightsGroup['weights']; data: ArrayBuffer } {
  const groups = json.weightsManifest
  if (!Array.isArray(groups)) throw new Error(`${file}: no weightsManifest`)
  const specs: WeightsGroup['weights'] = [], parts: Uint8Array[] = []
  for (const g of groups) {
    for (const p of g.paths) {
      const path = resolve(dirname(file), p)
      if (!path.startsWith(resolve(dirname(file)))) throw new Error(`${file}: weight path '${p}' leaves the model folder`)
      if (!existsSync(path)) throw new Error(`${file}: weight file '${p}' not found next to model.json`)
      parts.push(new Uint8Array(readFileSync(path)))
    }
    specs.push(...g.weights)
  }
  const bad = specs.find((s) => s.dtype !== 'float32')
  if (bad) throw new Error(`${file}: weight '${bad.name}' has dtype ${bad.dtype}; only float32 is supported`)
  const size = specs.reduce((n, s) => n + 4 * s.shape.reduce((a, b) => a * b, 1), 0)
  const total = parts.reduce((n, p) => n + p.length, 0)
  if (total !== size) throw new Error(`${file}: weight files hold ${total} bytes, the manifest describes ${size}`)
  const data = new Uint8Array(total)
  let o = 0
  for (const p of parts) { data.set(p, o); o += p.length }
  return { specs, data: data.buffer }
}

/** Class names of the model and of every layer in a Keras topology (nested models included; initializers etc. ignored). */
function layerClasses(node: unknown, out = new Set<string>()): Set<string> {
  const o = node as { model_config?: unknown; class_name?: unknown; config?: { layers?: unknown } } | null
  if (!o || typeof o !== 'object') return out
  if (o.model_config) return layerClasses(o.model_config, out)
  if (typeof o.class_name === 'string') out.add(o.class_name)
  if (Array.isArray(o.config?.layers)) for (const l of o.config.layers) layerClasses(l, out)
  return out
}

export async function importTfjs(file: string): Promise<ZooModel> {
  let json: ModelJson
  try { json = JSON.parse(readFileSync(file, 'utf8')) as ModelJson } catch (err) { throw new Error(`${file}: not a readable model.json (${describeJsonError(err)})`) }
  const { specs, data } = readWeights(file, json)
  if (json.format === 'tessera-zoo') {
    const m = json.tessera
    if (!m) throw new Error(`${file}: tessera-zoo model.json without a manifest`)
    const model = createModel(m.arch, { ...(m.options as Record<string, number>), inputSize: m.inputSize })
    const byName = new Map(model.params.params.map((p) => [p.name, p]))
    let offset = 0
    for (const s of specs) {
      const p = byName.get(s.name), n = s.shape.reduce((a, b) => a * b, 1)
      if (!p) throw new Error(`${file}: weight '${s.name}' is not part of ${m.arch}`)
      if (p.variable.shape.join() !== s.shape.join()) throw new Error(`${file}: weight '${s.name}' has shape [${s.shape}], ${m.arch} expects [${p.variable.shape}]`)
      tf.tidy(() => p.variable.assign(tf.tensor(new Float32Array(data, offset, n), s.shape)))
      offset += 4 * n
      byName.delete(s.name)
    }
    if (byName.size) throw new Error(`${file}: missing weights ${[...byName.keys()].slice(0, 5).join(', ')}`)
    model.manifest.weightHash = weightHash(await exportStateDict(model))
    return model
  }
  if (!json.modelTopology) throw new Error(`${file}: neither a Tessera zoo export nor a TF.js layers model (no modelTopology)`)
  const refused = [...layerClasses(json.modelTopology)].filter((c) => !allowedLayerClasses.has(c))
  if (refused.length) throw new Error(`${file}: layer class(es) ${refused.join(', ')} are not allowed (allowed: ${[...allowedLayerClasses].join(', ')})`)
  const layers = await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology as tf.io.ModelJSON['modelTopology'], weightSpecs: specs as tf.io.WeightsManifestEntry[], weightData: data }))
  const input = layers.inputs[0]?.shape ?? []
  const outDim = layers.outputs[0]?.shape.at(-1)
  if (input.length !== 4 || input[3] !== 3 || typeof outDim !== 'number' || layers.outputs[0]?.shape.length !== 2) {
    layers.dispose()
    throw new Error(`${file}: a feature extractor must map [N,H,W,3] images to [N,D] vectors; this model maps [${input}] to [${layers.outputs[0]?.shape}]`)
  }
  const store = new ParamStore()
  for (const w of layers.weights) store.params.push({ name: w.originalName, variable: w.read() as tf.Variable, layout: 'plain', trainable: w.trainable, torchShape: w.shape as number[] })
  return {
    manifest: { arch: 'tfjs-layers', inputSize: (input[1] as number | null) ?? 224, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], outputDim: outDim,
      weightNaming: 'tessera', weightHash: null, options: { name: layers.name } },
    params: store,
    apply: (x, training) => layers.apply(x, { training }) as tf.Tensor2D,
    dispose: () => layers.dispose()
  }
}
