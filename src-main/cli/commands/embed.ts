// CLI: embed — the feature vector of one patch image, with a registered model or a loose .onnx/.safetensors file.
import { createHash } from 'node:crypto'
import { existsSync } from 'node:fs'
import { basename, dirname, join, resolve } from 'node:path'
import { ARCH_DEFAULTS, IMAGENET_MEAN, IMAGENET_STD, parseManifest, type ModelManifest } from '../../models/manifest'
import { readFileSync } from 'node:fs'
import { isPickleName, pickleRefusal } from '../../interop/safetensors'
import { readSafetensorsLayout } from '../../interop/safetensors-file'
import { CliUsageError, requireString, type CliCommand } from '../command'
import { numberOption, stringOption, tripleOption } from './cli-options'

/**
 * The manifest.json beside a loose weights file (a Tessera model export bundle), when it describes exactly this file
 * (name and SHA-256); otherwise null, with the reason logged. Costs one hash of the weights file.
 */
function siblingManifest(file: string, log: (line: string) => void): ModelManifest | null {
  const path = join(dirname(file), 'manifest.json')
  if (!existsSync(path)) return null
  let m: ModelManifest
  try {
    m = parseManifest(JSON.parse(readFileSync(path, 'utf8')) as unknown, path)
  } catch (e) {
    log(`ignoring ${path}: ${(e as Error).message}`)
    return null
  }
  if (m.weightsFile !== basename(file)) return null
  const sha = createHash('sha256').update(readFileSync(file)).digest('hex')
  if (sha !== m.weightSha256) {
    log(`ignoring ${path}: it describes other weights (SHA-256 ${m.weightSha256.slice(0, 12)}…, this file ${sha.slice(0, 12)}…)`)
    return null
  }
  return m
}

export const embedCommand: CliCommand = {
  name: 'embed',
  summary: 'Feature vector of one patch image (preprocessing from the model manifest: resize, mean/std)',
  options: {
    model: { type: 'string' },
    arch: { type: 'string' },
    image: { type: 'string' },
    'input-size': { type: 'string' },
    mean: { type: 'string' },
    std: { type: 'string' },
    provider: { type: 'string' }
  },
  optionHelp: [
    '--model M         registered model name, or a .onnx / .safetensors file',
    '--arch A          architecture of a .safetensors file (resnet18, vit_small, …)',
    '--image FILE      patch image (PNG, JPEG, TIFF…)',
    '--input-size N    input edge for a loose file (default: the graph, else the manifest.json beside it, else the architecture)',
    '--mean a,b,c      normalisation for a loose file (default: the manifest.json beside it, else ImageNet)',
    '--std a,b,c',
    '--provider P      ONNX provider: cpu (default), auto (CUDA when usable), cuda'
  ],
  async run(ctx, args) {
    const ref = requireString(args, 'model')
    const image = resolve(requireString(args, 'image'))
    if (!existsSync(image)) throw new Error(`${image}: file not found`)
    const provider = (stringOption(args, 'provider') ?? 'cpu') as 'auto' | 'cpu' | 'cuda'
    if (!['auto', 'cpu', 'cuda'].includes(provider)) throw new CliUsageError('--provider must be cpu, auto or cuda')
    const { embedImage } = await import('../../workers/embed-image')
    if (/\.(onnx|safetensors)$/i.test(ref) || isPickleName(ref)) {
      const file = resolve(ref)
      if (isPickleName(file)) throw new Error(pickleRefusal(file))
      if (!existsSync(file)) throw new Error(`${file}: file not found`)
      const onnx = /\.onnx$/i.test(file)
      const arch = stringOption(args, 'arch') ?? (onnx ? 'onnx' : undefined)
      if (!arch) throw new CliUsageError('a .safetensors file needs --arch (e.g. resnet18)')
      const defaults = ARCH_DEFAULTS[arch]
      if (!defaults) throw new CliUsageError(`unknown --arch "${arch}": choose one of ${Object.keys(ARCH_DEFAULTS).join(', ')}`)
      // an export bundle's manifest.json beside the file carries the input size (dynamic ONNX inputs) and mean/std
      const bundled = onnx ? siblingManifest(file, ctx.log) : null
      // ONNX graphs with a fixed input size override this default when opened
      const inputSize = numberOption(args, 'input-size') ?? bundled?.inputSize ?? (onnx ? 0 : defaults.inputSize)
      const manifest = {
        name: basename(file),
        arch,
        weightsFormat: onnx ? ('onnx' as const) : ('safetensors' as const),
        inputSize,
        mean: tripleOption(args, 'mean') ?? (bundled ? [...bundled.mean] : [...IMAGENET_MEAN]),
        std: tripleOption(args, 'std') ?? (bundled ? [...bundled.std] : [...IMAGENET_STD]),
        options: {} as Record<string, number | string | boolean>
      }
      if (bundled) ctx.log(`using ${join(dirname(file), 'manifest.json')}: input ${bundled.inputSize}px, mean/std from it`)
      if (!onnx) {
        // weights written by Tessera carry their manifest (architecture options such as width and depth)
        const embedded = readSafetensorsLayout(file).metadata['tessera_manifest'] // header only, no tensor read
        if (embedded) {
          const m = JSON.parse(embedded) as { options?: Record<string, number | string | boolean>; inputSize?: number }
          manifest.options = m.options ?? {}
          if (numberOption(args, 'input-size') === undefined && m.inputSize) manifest.inputSize = m.inputSize
        }
      }
      if (onnx && !inputSize) {
        const { openOnnxEncoder } = await import('../../interop/onnx-encoder')
        const probe = await openOnnxEncoder(file, { provider: 'cpu', threads: 1 })
        manifest.inputSize = probe.inputSize
        await probe.close()
      }
      return embedImage(manifest as Parameters<typeof embedImage>[0], file, image, provider)
    }
    const core = ctx.core()
    const rec = core.models.resolve(ref)
    return embedImage(core.models.manifestOf(rec), core.models.weightsFileOf(rec), image, provider)
  },
  human: (r) => {
    const e = r as { model: string; backend: string; dim: number; vector: number[] }
    return `${e.model} (${e.backend}) → ${e.dim} values: [${e.vector.slice(0, 8).map((v) => v.toFixed(4)).join(', ')}${e.dim > 8 ? ', …' : ''}]`
  }
}
