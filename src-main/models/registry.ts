// Model registry: import weights (safetensors for zoo archs, ONNX graphs) into <data>/models/<sha256>/ with a manifest,
// list them, and export bundles (weights + manifest.json + SHA256SUMS) atomically. Pickle files are refused.
import { closeSync, copyFileSync, existsSync, mkdirSync, readSync, renameSync, statSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { userDataDir } from '../core/data-dir'
import { assertRegularFile, openRegularFileSync, SafeOpenError } from '../core/safe-open'
import type { ModelRecord } from '../../src-shared/domain/types'
import { ApiError } from '../api/errors'
import type { ModelsRepo } from '../store/models-repo'
import { isPickleName, pickleRefusal } from '../interop/safetensors'
import { checkModelFile, embeddedManifest } from './model-check'
import { fsyncPath, sha256File, writeDurable, writeFolderAtomic } from './atomic-files'
import { ARCH_DEFAULTS, IMAGENET_MEAN, IMAGENET_STD, MANIFEST_FORMAT, parseManifest, type ModelManifest } from './manifest'
import { bundleFiles, readBundleManifest, writeSums } from './bundle'
import { listSome } from './finite'
import { writeTfjsWeights } from './tfjs-weights'
import { ReplaceRefusedError } from '../core/export-replace'

export interface ModelImportOptions {
  file: string
  name: string
  /** required for weight files; a bundle folder carries its own (given, it must agree) */
  arch?: string | undefined
  kind?: ModelRecord['kind']
  inputSize?: number
  mean?: [number, number, number]
  std?: [number, number, number]
  outputDim?: number
  mpp?: number
}

export type ExportFormat = 'safetensors' | 'onnx' | 'tfjs'

export interface ExportResult {
  out: string
  files: { name: string; bytes: number; sha256: string }[]
}

/** 2 GiB: the ONNX protobuf limit, and above any patch encoder we run (safetensors are read tensor by tensor). */
const MAX_WEIGHT_BYTES = 2 ** 31 - 1

function sniff(file: string): 'pickle' | 'zip' | 'other' {
  const { fd } = openRegularFileSync(file, { what: 'model weights' })
  const head = Buffer.alloc(4)
  try {
    readSync(fd, head, 0, 4, 0)
  } finally {
    closeSync(fd)
  }
  if (head[0] === 0x80 && (head[1] ?? 0) >= 2 && (head[1] ?? 0) <= 5) return 'pickle'
  if (head.toString('latin1') === 'PK\u0003\u0004') return 'zip' // torch.save's zip container holds a pickle
  return 'other'
}

export class ModelRegistry {
  constructor(
    private readonly repo: ModelsRepo,
    /** <user data>/models */
    readonly root: string
  ) {}

  list(): ModelRecord[] {
    return this.repo.list()
  }

  resolve(ref: string | number): ModelRecord {
    return this.repo.resolve(ref)
  }

  manifestOf(rec: ModelRecord): ModelManifest {
    return parseManifest(rec.manifest, `model "${rec.name}"`)
  }

  /** Absolute path of the stored weights, checked to exist. */
  weightsFileOf(rec: ModelRecord): string {
    if (!rec.weightsPath || !existsSync(rec.weightsPath)) {
      throw new ApiError('not_found', `model "${rec.name}": weights file ${rec.weightsPath ?? '(none)'} is missing; import the model again`)
    }
    return rec.weightsPath
  }

  async import(o: ModelImportOptions): Promise<ModelRecord> {
    const file = resolve(o.file)
    if (!existsSync(file)) throw new ApiError('not_found', `${file}: file not found`)
    if (statSync(file).isDirectory()) return this.importBundle(file, o)
    // regular files only, checked before anything opens it (a FIFO would hang the import)
    await assertRegularFile(file, { what: 'model weights' }).catch((e: unknown) => {
      throw e instanceof SafeOpenError ? new ApiError(e.problem === 'not_found' ? 'not_found' : 'bad_request', e.message) : e
    })
    if (isPickleName(file)) throw new ApiError('bad_request', pickleRefusal(file))
    const kindOfBytes = sniff(file)
    if (kindOfBytes !== 'other') throw new ApiError('bad_request', pickleRefusal(file))
    if (!o.arch) throw new ApiError('bad_request', `${file}: give the architecture (arch) of these weights; only a bundle folder from model export carries its own`)
    const arch = o.arch
    const defaults = ARCH_DEFAULTS[arch]
    if (!defaults) throw new ApiError('bad_request', `unknown --arch "${arch}": choose one of ${Object.keys(ARCH_DEFAULTS).join(', ')}`)
    if (this.repo.findByName(o.name)) throw new ApiError('conflict', `a model named "${o.name}" already exists`)
    const size = statSync(file).size
    if (size === 0) throw new ApiError('bad_request', `${file}: file is empty`)
    if (size > MAX_WEIGHT_BYTES) throw new ApiError('bad_request', `${file}: ${size} bytes is above the 2 GiB limit for model weights`)
    const isOnnx = arch === 'onnx'
    if (isOnnx && !/\.onnx$/i.test(file)) throw new ApiError('bad_request', `${file}: --arch onnx needs an .onnx file`)
    if (!isOnnx && !/\.safetensors$/i.test(file)) {
      throw new ApiError('bad_request', `${file}: --arch ${arch} needs .safetensors weights (torchvision/timm names); ONNX graphs use --arch onnx`)
    }
    let inputSize = o.inputSize ?? defaults.inputSize
    let outputDim = o.outputDim ?? defaults.outputDim
    let tensors: number | null = null
    let options: Record<string, number | string | boolean> = {}
    const importNotes: string[] = []
    // the file is opened once, in a child process (models/model-check.ts): a broken or hostile file fails the import,
    // never the door; safetensors are loaded into `arch` there, so weights that do not fit are refused now
    let checked
    try {
      checked = await checkModelFile({ file, format: isOnnx ? 'onnx' : 'safetensors', arch, ...(o.inputSize ? { inputSize: o.inputSize } : {}) }, size)
    } catch (e) {
      throw new ApiError('bad_request', (e as Error).message)
    }
    if (checked.format === 'onnx') {
      inputSize = checked.inputSize
      outputDim = checked.outputDim
    } else {
      tensors = checked.names.length
      if (tensors === 0) throw new ApiError('bad_request', `${file}: holds no tensors`)
      if (checked.poisoned.length) {
        throw new ApiError('bad_request', `${file}: not imported: ${checked.poisoned.length} tensor(s) hold non-finite values (NaN/Inf): ${listSome(checked.poisoned)}`)
      }
      importNotes.push(...batchCounterNotes(checked.names))
      if (checked.metadata['arch'] && checked.metadata['arch'] !== arch) {
        throw new ApiError('bad_request', `${file}: the file says arch "${checked.metadata['arch']}" but --arch ${arch} was given`)
      }
      if (checked.fit) throw new ApiError('bad_request', `not imported: ${checked.fit}`)
      // weights exported by Tessera carry their manifest (architecture options: width, depth, input size)
      const embedded = embeddedManifest(checked.metadata)
      options = embedded.options
      inputSize = o.inputSize ?? embedded.inputSize ?? inputSize
      outputDim = o.outputDim ?? embedded.outputDim ?? outputDim
    }
    const sha = await sha256File(file)
    const ext = isOnnx ? 'onnx' : 'safetensors'
    const manifest: ModelManifest = parseManifest(
      {
        format: MANIFEST_FORMAT,
        name: o.name,
        arch: arch,
        weightsFormat: ext,
        weightsFile: `weights.${ext}`,
        weightSha256: sha,
        weightBytes: size,
        inputSize,
        mean: o.mean ?? [...IMAGENET_MEAN],
        std: o.std ?? [...IMAGENET_STD],
        outputDim,
        mpp: o.mpp ?? null,
        weightNaming: defaults.weightNaming,
        options,
        source: { file, importedAt: new Date().toISOString() },
        tensors,
        importNotes
      },
      file
    )
    const weightsPath = this.store(file, manifest)
    return this.repo.insert({ name: o.name, kind: o.kind ?? (isOnnx ? 'teacher' : 'other'), manifest, weightsPath, weightsHash: sha })
  }

  /** Copy the weights into <root>/<sha>/ (temp + fsync + rename); a second import of the same bytes reuses them. */
  private store(file: string, manifest: ModelManifest): string {
    const dir = join(this.root, manifest.weightSha256)
    mkdirSync(dir, { recursive: true })
    const target = join(dir, manifest.weightsFile)
    if (!existsSync(target)) {
      const tmp = `${target}.tmp-${process.pid}`
      copyFileSync(file, tmp)
      fsyncPath(tmp)
      renameSync(tmp, target)
      fsyncPath(dir)
    }
    writeDurable(join(dir, `manifest-${manifest.name.replace(/[^A-Za-z0-9._-]+/g, '_')}.json`), JSON.stringify(manifest, null, 2))
    return target
  }

  /** Import a folder written by `model export`: its SHA256SUMS are verified first (tampering is detected). */
  private async importBundle(dir: string, o: ModelImportOptions): Promise<ModelRecord> {
    let bundle
    try {
      bundle = await readBundleManifest(dir)
    } catch (e) {
      throw new ApiError('bad_request', (e as Error).message)
    }
    const m = bundle.manifest
    if (o.arch && o.arch !== m.arch) throw new ApiError('bad_request', `${dir}: the bundle's manifest says arch "${m.arch}" but ${o.arch} was given`)
    return this.import({
      file: join(dir, bundle.weightsFile),
      name: o.name,
      arch: m.arch,
      kind: o.kind,
      inputSize: m.inputSize,
      mean: m.mean,
      std: m.std,
      ...(m.outputDim ? { outputDim: m.outputDim } : {}),
      ...(m.mpp ? { mpp: m.mpp } : {})
    })
  }

  /** Export a bundle folder `out`: weights + manifest.json + SHA256SUMS, written atomically; refuses to replace unless force. */
  async export(ref: string | number, format: ExportFormat, out: string, force = false): Promise<ExportResult> {
    const rec = this.repo.resolve(ref)
    const m = this.manifestOf(rec)
    const weights = this.weightsFileOf(rec)
    if (format === 'tfjs' && m.weightsFormat !== 'safetensors') {
      throw new ApiError('unsupported', `model "${rec.name}" is an ONNX graph; TF.js export needs a zoo model (safetensors weights)`)
    }
    if (format !== 'tfjs' && format !== m.weightsFormat) {
      throw new ApiError('unsupported', `model "${rec.name}" holds ${m.weightsFormat} weights; it exports as --format ${m.weightsFormat} (no conversion between ONNX and safetensors)`)
    }
    const actual = await sha256File(weights)
    if (actual !== m.weightSha256) throw new ApiError('conflict', `model "${rec.name}": stored weights changed on disk (sha256 ${actual}, manifest ${m.weightSha256})`)
    const target = resolve(out)
    const weightsName = `${rec.name.replace(/[^A-Za-z0-9._-]+/g, '_')}.${m.weightsFormat}`
    try {
      await writeFolderAtomic(target, force, async (tmp) => {
        if (format === 'tfjs') {
          const written = writeTfjsWeights(tmp, weights, m)
          writeDurable(join(tmp, 'manifest.json'), JSON.stringify(m, null, 2))
          await writeSums(tmp, [...written, 'manifest.json'])
          return
        }
        const w = join(tmp, weightsName)
        copyFileSync(weights, w)
        fsyncPath(w)
        writeDurable(join(tmp, 'manifest.json'), JSON.stringify({ ...m, weightsFile: weightsName }, null, 2))
        await writeSums(tmp, [weightsName, 'manifest.json'])
      }, bundleFiles)
    } catch (e) {
      if (e instanceof ReplaceRefusedError || (e as Error).message.includes('already exists')) throw new ApiError('conflict', (e as Error).message)
      throw e
    }
    const bundle = await readBundleManifest(target, format !== 'tfjs')
    return { out: target, files: bundle.files }
  }

  delete(ref: string | number): boolean {
    const rec = this.repo.resolve(ref)
    return this.repo.delete(rec.id)
  }
}


/** Weights live beside the database: <data dir>/models (an in-memory store uses the user data dir). */
export function modelsRoot(dbPath: string): string {
  return dbPath === ':memory:' ? join(userDataDir(), 'models') : join(dirname(resolve(dbPath)), 'models')
}

/**
 * Import report lines for BatchNorm layers whose `num_batches_tracked` counter is absent (PyTorch exports often drop
 * it). The counter never changes features (momentum is fixed), so the weights are accepted; the zoo loader sets it to 0.
 */
export function batchCounterNotes(names: readonly string[]): string[] {
  const have = new Set(names)
  const absent = names.filter((n) => n.endsWith('.running_mean')).map((n) => n.replace(/running_mean$/, 'num_batches_tracked')).filter((n) => !have.has(n))
  if (absent.length === 0) return []
  return [`${absent.length} BatchNorm num_batches_tracked counter(s) absent (e.g. ${absent[0]}): accepted, they do not change features (set to 0)`]
}
