// Writes the fine-tuned student (predictor dropped) as safetensors + a manifest with hashes, for the models registry.
// Tensor layout is TF.js (conv kernels HWIO); the manifest says so. Mapping to torchvision/timm names and layouts is the
// zoo's safetensors writer's job (src-main/ml/models) once a zoo student is fine-tuned.
import { createHash } from 'node:crypto'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { TensorBlob } from './params'
import { writeSafetensors } from '../../interop/safetensors'

/** The student's tensors as safetensors (F32; BatchNorm counters I64, as PyTorch writes them). */
export function encodeSafetensors(tensors: Record<string, TensorBlob>, metadata: Record<string, string>): Uint8Array {
  return writeSafetensors(tensors, { metadata })
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
export async function writeStudentExport(
  dir: string,
  tensors: Record<string, TensorBlob>,
  student: { exportSafetensors?(file: string): Promise<string> },
  manifest: Record<string, unknown>
): Promise<ExportedStudent> {
  mkdirSync(dir, { recursive: true })
  const weightsPath = join(dir, 'student.safetensors')
  let layout = 'tfjs-hwio'
  if (student.exportSafetensors) {
    await student.exportSafetensors(weightsPath)
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
