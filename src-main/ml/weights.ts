// Weights in and out of zoo models by PyTorch name: torch-layout state dicts (safetensors), strict name/shape matching,
// layout conversion (conv OIHW↔HWIO, linear [out,in]↔[in,out]) and a sha256 weight hash in torch layout.
import * as tf from '@tensorflow/tfjs'
import { createHash } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import { readSafetensorsFile } from '../interop/safetensors-file'
import { isPickleName, pickleRefusal, writeSafetensors, type NamedTensor, type SafetensorsDtype } from '../interop/safetensors'
import type { Param, TorchLayout } from './nn/params'
import type { ZooModel } from './models/manifest'

export type StateDict = Map<string, NamedTensor>

/** Converts a torch-layout tensor to tfjs layout (a plain copy for 'plain'). */
export function torchToTf(t: NamedTensor, layout: TorchLayout): NamedTensor {
  if (layout === 'conv') {
    const [o, i, h, w] = t.shape as [number, number, number, number]
    const out = new Float32Array(t.data.length)
    for (let oo = 0; oo < o; oo++) for (let ii = 0; ii < i; ii++) for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
      out[((y * w + x) * i + ii) * o + oo] = t.data[((oo * i + ii) * h + y) * w + x] as number
    }
    return { shape: [h, w, i, o], data: out }
  }
  if (layout === 'linear') {
    const [o, i] = t.shape as [number, number]
    const out = new Float32Array(t.data.length)
    for (let oo = 0; oo < o; oo++) for (let ii = 0; ii < i; ii++) out[ii * o + oo] = t.data[oo * i + ii] as number
    return { shape: [i, o], data: out }
  }
  return { shape: [...t.shape], data: t.data.slice() }
}

/** Converts a tfjs-layout tensor to torch layout. */
export function tfToTorch(t: NamedTensor, layout: TorchLayout): NamedTensor {
  if (layout === 'conv') {
    const [h, w, i, o] = t.shape as [number, number, number, number]
    const out = new Float32Array(t.data.length)
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let ii = 0; ii < i; ii++) for (let oo = 0; oo < o; oo++) {
      out[((oo * i + ii) * h + y) * w + x] = t.data[((y * w + x) * i + ii) * o + oo] as number
    }
    return { shape: [o, i, h, w], data: out }
  }
  if (layout === 'linear') {
    const [i, o] = t.shape as [number, number]
    const out = new Float32Array(t.data.length)
    for (let ii = 0; ii < i; ii++) for (let oo = 0; oo < o; oo++) out[oo * i + ii] = t.data[ii * o + oo] as number
    return { shape: [o, i], data: out }
  }
  return { shape: [...t.shape], data: t.data.slice() }
}

/**
 * The model's weights in torch names and layouts (what torch's state_dict() would hold). Asynchronous reads, all issued
 * at once: a synchronous read stalls a GPU pipeline (and tfjs-webgpu in Node cannot always do one).
 */
export async function exportStateDict(model: ZooModel): Promise<StateDict> {
  const ps = model.params.params
  const data = await Promise.all(ps.map((p) => p.variable.data() as Promise<Float32Array>))
  const sd: StateDict = new Map()
  ps.forEach((p, i) => sd.set(p.name, tfToTorch({ shape: p.variable.shape, data: data[i] as Float32Array }, p.layout)))
  return sd
}

const sameShape = (a: number[], b: number[]): boolean => a.length === b.length && a.every((d, i) => d === b[i])

/**
 * Loads a torch-layout state dict by name. strict: every model tensor must be present with the torch shape, and no
 * extra names (except an ignorable classifier head, listed in `ignore`) may remain. Errors list every problem at once.
 */
export function loadStateDict(model: ZooModel, sd: StateDict, opts: { source?: string; ignore?: RegExp } = {}): { ignored: string[]; absentCounters: string[] } {
  const source = opts.source ?? 'weights'
  const ignore = opts.ignore ?? /^(fc|head|classifier)\./
  const problems: string[] = []
  const missing: string[] = [], ignored: string[] = [], absentCounters: string[] = []
  for (const p of model.params.params) {
    const t = sd.get(p.name)
    // PyTorch-exported files often lack BatchNorm's num_batches_tracked: a step counter that never changes features
    // (momentum is fixed); absent ones keep the model's own value (0) and are reported, not refused
    if (!t && isBatchCounter(p.name)) { absentCounters.push(p.name); continue }
    if (!t) { missing.push(p.name); continue }
    if (!sameShape(t.shape, p.torchShape)) problems.push(`'${p.name}' has shape ${JSON.stringify(t.shape)}, ${model.manifest.arch} expects ${JSON.stringify(p.torchShape)}`)
  }
  const known = new Set(model.params.params.map((p: Param) => p.name))
  const unexpected = [...sd.keys()].filter((k) => !known.has(k) && !ignore.test(k))
  for (const k of sd.keys()) if (!known.has(k) && ignore.test(k)) ignored.push(k)
  if (missing.length) problems.push(`missing ${missing.length} tensor(s): ${missing.slice(0, 8).join(', ')}${missing.length > 8 ? ', …' : ''}`)
  if (unexpected.length) problems.push(`unexpected ${unexpected.length} tensor(s): ${unexpected.slice(0, 8).join(', ')}${unexpected.length > 8 ? ', …' : ''}`)
  if (problems.length) throw new Error(`${source}: weights do not fit ${model.manifest.arch}: ${problems.join('; ')}`)
  for (const p of model.params.params) {
    const saved = sd.get(p.name)
    if (!saved) continue // an absent BatchNorm counter (above)
    const t = torchToTf(saved, p.layout)
    tf.tidy(() => { p.variable.assign(tf.tensor(t.data, t.shape)) })
  }
  model.manifest.weightHash = weightHash(sd)
  return { ignored, absentCounters }
}

export const isBatchCounter = (name: string): boolean => name.endsWith('.num_batches_tracked')


/** sha256 over sorted names, torch shapes and little-endian float32 data. Layout-independent identity of a model's weights. */
export function weightHash(sd: StateDict): string {
  const h = createHash('sha256')
  for (const name of [...sd.keys()].sort()) {
    const t = sd.get(name) as NamedTensor
    h.update(`${name}:${t.shape.join('x')};`)
    h.update(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength))
  }
  return h.digest('hex')
}

export function loadSafetensorsFile(model: ZooModel, file: string): { ignored: string[]; absentCounters: string[] } {
  if (isPickleName(file)) throw new Error(pickleRefusal(file))
  const parsed = readSafetensorsFile(file)
  return loadStateDict(model, parsed.tensors, { source: file })
}

export async function saveSafetensorsFile(model: ZooModel, file: string, dtype: SafetensorsDtype = 'F32'): Promise<string> {
  const sd = await exportStateDict(model)
  const hash = weightHash(sd)
  model.manifest.weightHash = hash
  const m = model.manifest
  writeFileSync(file, writeSafetensors(sd, { dtype, metadata: {
    format: 'pt', arch: m.arch, tessera_manifest: JSON.stringify({ ...m, weightHash: hash })
  } }))
  return hash
}
