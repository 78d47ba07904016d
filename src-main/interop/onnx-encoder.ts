// ONNX patch encoder on onnxruntime-node: CPU execution provider, CUDA when asked for and available (reported, never
// silent). Input NCHW float32 (preprocessed by models/preprocess.ts), output N×D float32. Inference only.
// Cost: ORT runs on its own thread pool, so `encode` awaits off the JS thread and patch decoding can overlap it.
import { existsSync, statSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import type { InferenceSession as OrtSession } from 'onnxruntime-node'

/** Shape every patch encoder of the feature pipeline implements (ONNX here; TF.js zoo models adapt to it). */
export interface PatchEncoder {
  readonly name: string
  /** e.g. 'onnxruntime-cpu', 'onnxruntime-cuda', 'tfjs-wasm' */
  readonly backend: string
  readonly inputSize: number
  readonly outputDim: number
  /** notes on providers tried and skipped */
  readonly notes: string[]
  /** learnable parameters and GFLOPs per patch, where the runtime can count them (zoo models) */
  readonly cost?: { parameters: number; gflopsPerPatch: number }
  /** `batch` is n×3×S×S float32; returns n×D */
  encode(batch: Float32Array, n: number): Promise<Float32Array>
  close(): Promise<void>
}

export interface OnnxEncoderOptions {
  /** 'auto' tries CUDA then CPU; 'cuda' fails when CUDA cannot be used */
  provider?: 'auto' | 'cpu' | 'cuda'
  threads?: number
  /** expected input edge when the model's input is dynamic */
  inputSize?: number
}

/**
 * onnxruntime-node ships the CUDA provider as a separate library fetched by its install script; offline installs
 * (ONNXRUNTIME_NODE_INSTALL=skip in scripts/setup-debian.sh) lack it. Checking the file first avoids a native error printed on stderr.
 */
export function cudaProviderLibrary(): string | null {
  try {
    const pkg = dirname(createRequire(import.meta.url).resolve('onnxruntime-node/package.json'))
    const lib = join(pkg, 'bin', 'napi-v6', process.platform, process.arch, process.platform === 'win32' ? 'onnxruntime_providers_cuda.dll' : 'libonnxruntime_providers_cuda.so')
    return existsSync(lib) ? lib : null
  } catch {
    return null
  }
}

/** ONNX protobufs cannot exceed 2 GiB; larger files are not ONNX models (external data is not supported). */
const MAX_ONNX_BYTES = 2 ** 31

export class OnnxModelError extends Error {
  constructor(file: string, problem: string) {
    super(`${file}: ${problem}`)
    this.name = 'OnnxModelError'
  }
}

export async function openOnnxEncoder(file: string, options: OnnxEncoderOptions = {}): Promise<PatchEncoder> {
  let size: number
  try {
    size = statSync(file).size
  } catch {
    throw new OnnxModelError(file, 'file not found')
  }
  if (size === 0) throw new OnnxModelError(file, 'file is empty')
  if (size > MAX_ONNX_BYTES) throw new OnnxModelError(file, `file is ${size} bytes, above the 2 GiB ONNX limit`)
  const ort = await import('onnxruntime-node')
  const notes: string[] = []
  const provider = options.provider ?? 'cpu'
  const common: OrtSession.SessionOptions = {
    graphOptimizationLevel: 'all',
    ...(options.threads ? { intraOpNumThreads: options.threads, interOpNumThreads: 1 } : {})
  }
  let session: OrtSession | null = null
  let backend = 'onnxruntime-cpu'
  if (provider !== 'cpu') {
    const cuda = ort.listSupportedBackends().find((b) => b.name === 'cuda')
    try {
      if (!cuda) throw new Error('this onnxruntime-node build has no CUDA provider')
      if (!cuda.bundled && !cudaProviderLibrary()) {
        throw new Error('the CUDA provider library is not installed (onnxruntime-node was installed without its CUDA download)')
      }
      // severity 4 (fatal only): a missing CUDA library is reported in `notes`, not as an ORT log line on stderr
      session = await ort.InferenceSession.create(file, { ...common, logSeverityLevel: 4, executionProviders: ['cuda'] })
      backend = 'onnxruntime-cuda'
    } catch (e) {
      const why = `CUDA provider unavailable: ${(e as Error).message.split('\n')[0]}`
      if (provider === 'cuda') throw new OnnxModelError(file, why)
      notes.push(`${why}; using CPU`)
    }
  }
  try {
    session ??= await ort.InferenceSession.create(file, { ...common, executionProviders: ['cpu'] })
  } catch (e) {
    throw new OnnxModelError(file, `not a loadable ONNX model: ${(e as Error).message.split('\n')[0]}`)
  }
  const open = session
  const [inputMeta] = open.inputMetadata
  const [outputMeta] = open.outputMetadata
  if (open.inputNames.length !== 1 || !inputMeta?.isTensor || inputMeta.type !== 'float32' || inputMeta.shape.length !== 4) {
    await open.release()
    throw new OnnxModelError(file, `expected one float32 NCHW input, found ${open.inputNames.length} input(s) ${JSON.stringify(inputMeta)}`)
  }
  if (typeof inputMeta.shape[1] === 'number' && inputMeta.shape[1] !== 3) {
    await open.release()
    throw new OnnxModelError(file, `input has ${inputMeta.shape[1]} channels, expected 3 (RGB)`)
  }
  const fixedSize = typeof inputMeta.shape[2] === 'number' ? inputMeta.shape[2] : null
  const inputSize = fixedSize ?? options.inputSize
  if (!inputSize) throw new OnnxModelError(file, 'input size is dynamic; give the input size (manifest inputSize / --input-size)')
  if (options.inputSize && fixedSize && options.inputSize !== fixedSize) {
    await open.release()
    throw new OnnxModelError(file, `model input is ${fixedSize}px but ${options.inputSize}px was requested`)
  }
  const inputName = open.inputNames[0] as string
  const outputName = open.outputNames[0] as string
  const declaredDim = outputMeta?.isTensor && typeof outputMeta.shape[1] === 'number' ? outputMeta.shape[1] : null
  let outputDim = declaredDim ?? 0
  const encoder: PatchEncoder = {
    name: file,
    backend,
    inputSize,
    get outputDim() {
      return outputDim
    },
    notes,
    async encode(batch, n) {
      const expected = n * 3 * inputSize * inputSize
      if (batch.length !== expected) throw new Error(`batch holds ${batch.length} values, expected ${expected} (n=${n}, ${inputSize}px)`)
      const result = await open.run({ [inputName]: new ort.Tensor('float32', batch, [n, 3, inputSize, inputSize]) })
      const out = result[outputName]
      if (!out || out.type !== 'float32') throw new OnnxModelError(file, `output "${outputName}" is not float32`)
      const data = out.data as Float32Array
      if (data.length % n !== 0) throw new OnnxModelError(file, `output has ${data.length} values for ${n} patches`)
      outputDim = data.length / n
      return data
    },
    close: () => open.release()
  }
  if (!declaredDim) {
    // dynamic output width: learn it with one dummy patch
    await encoder.encode(new Float32Array(3 * inputSize * inputSize), 1)
  }
  return encoder
}
