// Contract of the model registry: import weights (safetensors / ONNX) with a manifest, list, export bundles.
import { z } from 'zod'
import { method } from './define'
import type { ModelRecord } from '../domain/types'

const modelRef = z.union([z.number().int().positive(), z.string().min(1)])
const triple = z.tuple([z.number(), z.number(), z.number()])

export interface ModelExportReply {
  out: string
  files: { name: string; bytes: number; sha256: string }[]
}

export const modelContract = {
  'model.list': method<ModelRecord[]>()(z.strictObject({}), 'List registered models with their manifests'),
  'model.get': method<ModelRecord>()(z.strictObject({ model: modelRef }), 'Get one model by id or name'),
  'model.import': method<ModelRecord>()(
    z.strictObject({
      file: z.string().min(1),
      name: z.string().trim().min(1).max(200),
      /** required for weight files; a bundle folder from model export carries its own */
      arch: z.string().min(1).optional(),
      kind: z.enum(['student', 'teacher', 'finetuned', 'other']).optional(),
      inputSize: z.number().int().min(8).max(4096).optional(),
      mean: triple.optional(),
      std: triple.optional(),
      outputDim: z.number().int().positive().optional(),
      mpp: z.number().positive().optional()
    }),
    'Import weights (.safetensors for zoo archs, .onnx with arch "onnx", or an exported bundle folder); pickle files are refused'
  ),
  'model.export': method<ModelExportReply>()(
    z.strictObject({
      model: modelRef,
      format: z.enum(['safetensors', 'onnx', 'tfjs']),
      out: z.string().min(1),
      force: z.boolean().optional()
    }),
    'Export a model bundle folder (weights + manifest.json + SHA256SUMS), atomically; refuses to replace unless force'
  ),
  'model.delete': method<{ deleted: boolean }>()(z.strictObject({ model: modelRef, confirm: z.literal(true) }), 'Remove a model from the registry')
} as const
