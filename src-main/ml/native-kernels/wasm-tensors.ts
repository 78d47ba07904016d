// In-place access to tfjs-wasm tensors for native kernels: byte offsets into the backend's WebAssembly.Memory and the
// convolution parameter block the addon takes. The memory's ArrayBuffer is replaced when the heap grows, so it is
// read after every allocation (makeOutput) and never kept.
import type * as tf from '@tensorflow/tfjs'
import type { TensorInfo } from '@tensorflow/tfjs'

/** The parts of tfjs-backend-wasm's BackendWasm that native kernels use (not exported as a type by the package). */
export interface WasmBackendView {
  wasm: { HEAPU8: Uint8Array }
  dataIdMap: { get(dataId: object): { memoryOffset: number } | undefined }
  makeOutput(shape: number[], dtype: 'float32'): TensorInfo
}

export function offsetOf(backend: WasmBackendView, t: TensorInfo): number {
  if (t.dtype !== 'float32') throw new Error(`native kernel: expected a float32 tensor, got ${t.dtype}`)
  const d = backend.dataIdMap.get(t.dataId)
  if (!d) throw new Error('native kernel: tensor is not on the wasm backend')
  return d.memoryOffset
}

/** The wasm heap as it is now (call after allocating the output). */
export function heap(backend: WasmBackendView): ArrayBuffer {
  const buf = backend.wasm.HEAPU8.buffer
  if (!(buf instanceof ArrayBuffer)) throw new Error('native kernel: wasm memory is shared (threaded wasm build): not supported')
  return buf
}

/** Int32Array(17) of the addon's conv parameters from tfjs's own conv info (so shapes and padding match tfjs exactly). */
export function convParams(info: tf.backend_util.Conv2DInfo): Int32Array {
  if (info.dataFormat !== 'channelsLast') throw new Error('native conv kernels: only NHWC (channelsLast) is supported')
  const p = info.padInfo
  return Int32Array.from([info.batchSize, info.inHeight, info.inWidth, info.inChannels, info.outChannels, info.filterHeight, info.filterWidth,
    info.strideHeight, info.strideWidth, info.dilationHeight, info.dilationWidth, p.top, p.left, p.bottom, p.right, info.outHeight, info.outWidth])
}

/** A float32 as the int32 with the same bits (how a float attribute travels in the addon's Int32Array parameters). */
export function floatBits(v: number): number {
  if (!Number.isFinite(v)) throw new Error(`native kernel: expected a finite number, got ${v}`)
  return new Int32Array(Float32Array.of(v).buffer)[0] as number
}

/** Rows (all leading dims) and channels (last dim) of x, checking that each per-channel operand is [channels]. */
export function channelRows(kernel: string, x: TensorInfo, perChannel: TensorInfo[]): { rows: number; channels: number } {
  const channels = x.shape[x.shape.length - 1] ?? 0
  for (const t of perChannel) {
    if (t.shape.length !== 1 || t.shape[0] !== channels) throw new Error(`${kernel}: expected a [${channels}] vector, got [${t.shape.join(',')}]`)
  }
  return { rows: channels === 0 ? 0 : x.shape.reduce((a, d) => a * d, 1) / channels, channels }
}
