// Opens a model file once at import, in a throwaway child process (workers/model-check-main.ts): ONNX graphs are
// parsed by onnxruntime and safetensors loaded into the named architecture there, never in the door's process, so
// a hostile file (a crash in native code, a protobuf that balloons, a hang) costs a refused import, not the server.
// Cost: one process start (~1-3 s: onnxruntime or TF.js load) per import.
import { oneShotChild } from '../core/one-shot-child'
import { processEntry } from '../core/entry-point'

export interface ModelCheckRequest {
  file: string
  format: 'onnx' | 'safetensors'
  /** zoo architecture (safetensors) */
  arch: string
  /** given by the user; else the file's embedded manifest or the architecture's default */
  inputSize?: number
}

export type ModelCheckReply =
  | { ok: true; format: 'onnx'; inputSize: number; outputDim: number }
  | {
      ok: true
      format: 'safetensors'
      names: string[]
      /** tensors holding NaN/Inf, "name (k of n values)" */
      poisoned: string[]
      metadata: Record<string, string>
      /** why the weights do not load into `arch` (naming the file and tensors), null when they do or were not tried */
      fit: string | null
    }
  | { ok: false; message: string }

export class ModelCheckError extends Error {
  constructor(file: string, problem: string) {
    super(`${file}: ${problem}`)
    this.name = 'ModelCheckError'
  }
}

/** Architecture options carried by weights that Tessera exported (`tessera_manifest` metadata); foreign JSON is ignored. */
export function embeddedManifest(metadata: Record<string, string>): { options: Record<string, number | string | boolean>; inputSize?: number; outputDim?: number } {
  const raw = metadata['tessera_manifest']
  if (!raw) return { options: {} }
  try {
    const m = JSON.parse(raw) as { options?: unknown; inputSize?: unknown; outputDim?: unknown }
    const options = typeof m.options === 'object' && m.options !== null ? (m.options as Record<string, number | string | boolean>) : {}
    return {
      options,
      ...(typeof m.inputSize === 'number' ? { inputSize: m.inputSize } : {}),
      ...(typeof m.outputDim === 'number' ? { outputDim: m.outputDim } : {})
    }
  } catch {
    return { options: {} }
  }
}

/** Timeout: a fresh child loads tsx and TF.js or onnxruntime first (seconds on a busy machine), then 1 s per 20 MB. */
export function checkTimeoutMs(bytes: number): number {
  return 60_000 + Math.ceil(bytes / 20e6) * 1000
}

export function checkModelFile(req: ModelCheckRequest, bytes: number, options: { timeoutMs?: number } = {}): Promise<Extract<ModelCheckReply, { ok: true }>> {
  const { file: script, execArgv } = processEntry(import.meta.url, 'model-check-main', '../workers')
  const timeoutMs = options.timeoutMs ?? checkTimeoutMs(bytes)
  // the decoded weights live in ArrayBuffers (outside the V8 heap); the heap cap stops a runaway parse early
  return oneShotChild<ModelCheckReply, Extract<ModelCheckReply, { ok: true }>>({
    script, execArgv, heapMiB: 4096, timeoutMs, request: req,
    // the child's messages already name the file
    onReply: (msg) => (msg.ok ? msg : new Error(msg.message)),
    timeoutError: (s) => new ModelCheckError(req.file, `opening the model took longer than ${s} s; the check was stopped`),
    exitError: (how, last) => new ModelCheckError(req.file, `not a loadable model: the model check stopped (${how})${last ? `: ${last.slice(0, 300)}` : ''}`),
    startError: (e) => new ModelCheckError(req.file, `cannot start the model check: ${e.message}`)
  })
}
