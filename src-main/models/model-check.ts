// Opens a model file once at import, in a throwaway child process (workers/model-check-main.ts): ONNX graphs are
// parsed by onnxruntime and safetensors loaded into the named architecture there, never in the door's process, so
// a hostile file (a crash in native code, a protobuf that balloons, a hang) costs a refused import, not the server.
// Cost: one process start (~1-3 s: onnxruntime or TF.js load) per import.
import { launchChild } from '../core/child-launch'
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
  const child = launchChild(script, { execArgv: [...execArgv, '--max-old-space-size=4096'], stdout: 'ignore', stderr: 'pipe' })
  let stderr = ''
  child.stderr?.on('data', (b: Buffer) => {
    if (stderr.length < 4000) stderr += b.toString()
  })
  return new Promise((resolve, reject) => {
    let settled = false
    const done = (fn: () => void): void => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      fn()
    }
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      done(() => reject(new ModelCheckError(req.file, `opening the model took longer than ${Math.round(timeoutMs / 1000)} s; the check was stopped`)))
    }, timeoutMs)
    child.on('message', (msg: ModelCheckReply) => {
      // the child's messages already name the file
      done(() => (msg.ok ? resolve(msg) : reject(new Error(msg.message))))
    })
    child.on('exit', (code, signal) => {
      const last = stderr.trim().split('\n').slice(-1)[0] ?? ''
      done(() => reject(new ModelCheckError(req.file, `not a loadable model: the model check stopped (${signal ?? `exit code ${code}`})${last ? `: ${last.slice(0, 300)}` : ''}`)))
    })
    child.on('error', (e) => done(() => reject(new ModelCheckError(req.file, `cannot start the model check: ${e.message}`))))
    child.send(req)
  })
}
