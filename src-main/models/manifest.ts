// Manifest of a registered model (models/<sha256>/manifest.json and the `models.manifest` column): what the weights
// are, how patches are preprocessed, and where they came from. Architecture defaults mirror ml/models (the zoo),
// kept here because the registry runs outside ml/ (TF.js loads only in job workers).
import { z } from 'zod'
import { encoderKey } from '../store/feature-cache'

export const MANIFEST_FORMAT = 'tessera-model/1'

/** Zoo architectures (safetensors weights, torchvision/timm names) and ONNX graphs. */
export const ARCH_DEFAULTS: Record<string, { inputSize: number; outputDim: number | null; weightNaming: string }> = {
  smallcnn: { inputSize: 64, outputDim: null, weightNaming: 'tessera' },
  resnet18: { inputSize: 224, outputDim: 512, weightNaming: 'torchvision' },
  resnet34: { inputSize: 224, outputDim: 512, weightNaming: 'torchvision' },
  resnet50: { inputSize: 224, outputDim: 2048, weightNaming: 'torchvision' },
  vit_small: { inputSize: 224, outputDim: 384, weightNaming: 'timm' },
  vit_base: { inputSize: 224, outputDim: 768, weightNaming: 'timm' },
  onnx: { inputSize: 224, outputDim: null, weightNaming: 'onnx' }
}

export const IMAGENET_MEAN = [0.485, 0.456, 0.406] as const
export const IMAGENET_STD = [0.229, 0.224, 0.225] as const

const triple = z.tuple([z.number(), z.number(), z.number()])

export const ModelManifestSchema = z.object({
  format: z.literal(MANIFEST_FORMAT),
  name: z.string().min(1),
  arch: z.string().min(1),
  weightsFormat: z.enum(['safetensors', 'onnx']),
  /** file name inside the model folder */
  weightsFile: z.string().regex(/^[A-Za-z0-9._-]+$/),
  weightSha256: z.string().regex(/^[0-9a-f]{64}$/),
  weightBytes: z.number().int().positive(),
  inputSize: z.number().int().min(8).max(4096),
  mean: triple,
  std: triple.refine((s) => s.every((v) => v > 0), 'std must be positive'),
  outputDim: z.number().int().positive().nullable(),
  /** resolution the model expects, µm/px (0.5 ≈ 20×) */
  mpp: z.number().positive().nullable(),
  weightNaming: z.string(),
  /** architecture options for rebuilding zoo models (width, depth, …) */
  options: z.record(z.string(), z.union([z.number(), z.string(), z.boolean()])).default({}),
  source: z.object({ file: z.string(), importedAt: z.string() }),
  /** tensor names and shapes of safetensors weights (checked against the zoo when the model is first built) */
  tensors: z.number().int().nonnegative().nullable().default(null),
  /** what the import accepted with a remark (e.g. absent BatchNorm num_batches_tracked counters) */
  importNotes: z.array(z.string()).default([])
})

export type ModelManifest = z.infer<typeof ModelManifestSchema>

export function parseManifest(raw: unknown, where: string): ModelManifest {
  const r = ModelManifestSchema.safeParse(raw)
  if (!r.success) throw new Error(`${where}: invalid model manifest: ${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`)
  return r.data
}

/** Feature-cache key of a model: architecture, weight hash and preprocessing (not its name: renames keep the cache). */
export function encoderKeyOf(m: Pick<ModelManifest, 'arch' | 'weightSha256' | 'inputSize' | 'mean' | 'std'>): string {
  return encoderKey({ model: m.arch, weightHash: m.weightSha256, inputSize: m.inputSize, mean: m.mean, std: m.std })
}
