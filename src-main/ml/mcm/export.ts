// Writes the fine-tuned student (predictor dropped) as safetensors + a manifest with hashes, for the models registry.
// Tensor layout is TF.js (conv kernels HWIO); the manifest says so. Mapping to torchvision/timm names and layouts is the
// zoo's safetensors writer's job (src-main/ml/models) once a zoo student is fine-tuned.
import { createHash } from 'node:crypto'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { TensorBlob } from './params'

export function encodeSafetensors(tensors: Record<string, TensorBlob>, metadata: Record<string, string>): Uint8Array {
  const header: Record<string, unknown> = { __metadata__: metadata }
  let off = 0
  const names = Object.keys(tensors).sort()
  for (const n of names) {
    const t = tensors[n] as TensorBlob
    header[n] = { dtype: 'F32', shape: t.shape, data_offsets: [off, off + t.data.length * 4] }
    off += t.data.length * 4
  }
  let json = JSON.stringify(header)
  while ((8 + Buffer.byteLength(json)) % 8 !== 0) json += ' '
  const hb = Buffer.from(json, 'utf8')
  const out = new Uint8Array(8 + hb.length + off)
  new DataView(out.buffer).setBigUint64(0, BigInt(hb.length), true)
  out.set(hb, 8)
  let p = 8 + hb.length
  for (const n of names) {
    const t = tensors[n] as TensorBlob
    out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.length * 4), p)
    p += t.data.length * 4
  }
  return out
}

export interface ExportedStudent {
  weightsPath: string
  weightsHash: string
  manifestPath: string
  manifest: Record<string, unknown>
}

/**
 * Zoo students (exportSafetensors) are written by the zoo's writer: torchvision/timm names, torch layout, loadable by
 * the registry and features.extract. The built-in tiny CNN is written here in TF.js layout (conv kernels HWIO).
 */
export function writeStudentExport(
  dir: string,
  tensors: Record<string, TensorBlob>,
  student: { exportSafetensors?(file: string): string },
  manifest: Record<string, unknown>
): ExportedStudent {
  mkdirSync(dir, { recursive: true })
  const weightsPath = join(dir, 'student.safetensors')
  let layout = 'tfjs-hwio'
  if (student.exportSafetensors) {
    student.exportSafetensors(weightsPath)
    layout = 'torch'
  } else {
    writeFileSync(weightsPath, encodeSafetensors(tensors, { format: 'pt', layout: 'tfjs (conv kernels HWIO)', producer: 'tessera train.mcm' }))
  }
  const bytes = readFileSync(weightsPath)
  const weightsHash = createHash('sha256').update(bytes).digest('hex')
  const full = {
    ...manifest,
    weightsFormat: 'safetensors',
    weightsFile: 'student.safetensors',
    weightSha256: weightsHash,
    weightBytes: bytes.length,
    weights: { file: 'student.safetensors', sha256: weightsHash, bytes: bytes.length, layout }
  }
  const manifestPath = join(dir, 'manifest.json')
  writeFileSync(manifestPath, JSON.stringify(full, null, 2))
  return { weightsPath, weightsHash, manifestPath, manifest: full }
}
