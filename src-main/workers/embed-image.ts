// Feature vector of one patch image with a registered model or a loose weights file (parity checks by anyone):
// decode → manifest preprocessing (RGBA on white, bilinear resize, mean/std) → encoder. Used by `tessera embed`.
import sharp from 'sharp'
import type { ModelManifest } from '../models/manifest'
import { toNchwBatch } from '../models/preprocess'
import { openModelEncoder } from './encoders'

/** Patch images larger than this are not patches: refuse before decoding (sharp's own cap is 268 M px). */
const MAX_IMAGE_PIXELS = 8192 * 8192

export type EmbedManifest = Pick<ModelManifest, 'name' | 'arch' | 'weightsFormat' | 'inputSize' | 'mean' | 'std' | 'options'>

export interface EmbedResult {
  model: string
  arch: string
  backend: string
  notes: string[]
  image: { file: string; width: number; height: number }
  inputSize: number
  dim: number
  vector: number[]
}

export async function embedImage(manifest: EmbedManifest, weightsFile: string, imageFile: string, provider: 'auto' | 'cpu' | 'cuda' = 'cpu'): Promise<EmbedResult> {
  let meta
  try {
    meta = await sharp(imageFile).metadata()
  } catch (e) {
    throw new Error(`${imageFile}: cannot read image: ${(e as Error).message}`)
  }
  const w = meta.width ?? 0
  const h = meta.height ?? 0
  if (!w || !h) throw new Error(`${imageFile}: image has no size`)
  if (w * h > MAX_IMAGE_PIXELS) throw new Error(`${imageFile}: ${w}×${h} is larger than a patch (limit ${MAX_IMAGE_PIXELS} pixels)`)
  const { data, info } = await sharp(imageFile).ensureAlpha().raw().toBuffer({ resolveWithObject: true })
  const img = { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.length) }
  const enc = await openModelEncoder(manifest, weightsFile, { provider })
  try {
    if (enc.inputSize !== manifest.inputSize) throw new Error(`model input is ${enc.inputSize}px but the manifest says ${manifest.inputSize}px`)
    const out = await enc.encode(toNchwBatch([img], manifest), 1)
    return {
      model: manifest.name,
      arch: manifest.arch,
      backend: enc.backend,
      notes: enc.notes,
      image: { file: imageFile, width: w, height: h },
      inputSize: manifest.inputSize,
      dim: out.length,
      vector: Array.from(out)
    }
  } finally {
    await enc.close()
  }
}
