// Helpers for wasm kernel shims: call an already registered wasm kernel and track temporaries to dispose.
import * as tf from '@tensorflow/tfjs'
import type { TensorInfo, NamedAttrMap, NamedTensorInfoMap, KernelFunc } from '@tensorflow/tfjs'

/** The wasm backend's own kernel for `name` (captured before we replace any). */
export function wasmKernel(name: string): KernelFunc {
  const config = tf.getKernel(name, 'wasm')
  if (!config) throw new Error(`wasm backend has no '${name}' kernel (is @tensorflow/tfjs-backend-wasm loaded?)`)
  return config.kernelFunc
}

/** The backend object a kernel receives; only `disposeData` is used. */
export interface KernelBackend {
  disposeData(dataId: object): void
}

/** Runs kernels on one backend and remembers every intermediate so it can be freed when the shim returns. */
export class KernelScope {
  private readonly temps: TensorInfo[] = []
  constructor(private readonly backend: KernelBackend) {}

  run(kernel: KernelFunc, inputs: NamedTensorInfoMap, attrs: NamedAttrMap): TensorInfo {
    const out = kernel({ inputs, backend: this.backend, attrs }) as TensorInfo
    this.temps.push(out)
    return out
  }

  /** Frees every intermediate except `keep` (the shim's result) and the shim's own inputs. */
  dispose(keep: TensorInfo, inputs: TensorInfo[]): void {
    for (const t of this.temps) {
      if (t === keep || inputs.includes(t)) continue
      this.backend.disposeData(t.dataId)
    }
  }
}

export function requireInput(inputs: NamedTensorInfoMap, name: string, kernel: string): TensorInfo {
  const t = inputs[name]
  if (!t) throw new Error(`${kernel}: missing input '${name}'`)
  return t
}

export type Pair = [number, number]
/** Normalises a tfjs stride/dilation attribute (number or [h, w]). */
export function pair(v: unknown): Pair {
  if (typeof v === 'number') return [v, v]
  if (Array.isArray(v) && typeof v[0] === 'number' && typeof v[1] === 'number') return [v[0], v[1]]
  throw new Error(`expected a number or [h, w], got ${JSON.stringify(v)}`)
}
