// Sum of squares over many tensors for the wasm backend on the native addon (the optimizer's squared gradient norm):
// one call instead of Square + Sum per tensor and a fold of Adds, bit-identical to that op-by-op path (same float32
// summation order, native/dnnl/sum_squares.cc); threads split the tensors.
import * as tf from '@tensorflow/tfjs'
import type { KernelConfig, TensorInfo } from '@tensorflow/tfjs'
import { SUM_SQUARES_KERNEL } from '../mcm/optimizer-kernels'
import { requireInput } from '../wasm-kernels/kernel-helpers'
import type { NativeAddon } from './addon'
import { heap, offsetOf, type WasmBackendView } from './wasm-tensors'

export function nativeSumSquaresKernel(addon: NativeAddon): KernelConfig {
  return {
    kernelName: SUM_SQUARES_KERNEL,
    backendName: 'wasm',
    kernelFunc: ({ inputs, backend }) => {
      const count = Object.keys(inputs).length
      if (count === 0) throw new Error(`${SUM_SQUARES_KERNEL}: needs at least one tensor`)
      // inputs are x0 … x{n-1}; the fold order is the index order
      const xs: TensorInfo[] = Array.from({ length: count }, (_, i) => requireInput(inputs, `x${i}`, SUM_SQUARES_KERNEL))
      const b = backend as unknown as WasmBackendView
      const out = b.makeOutput([], 'float32')
      const table = new Float64Array(2 * count)
      xs.forEach((t, i) => {
        const n = tf.util.sizeFromShape(t.shape)
        table[2 * i] = n === 0 ? 0 : offsetOf(b, t) // an empty tensor may have no memory; it adds 0
        table[2 * i + 1] = n
      })
      addon.sumSquares(heap(b), offsetOf(b, out), table)
      return out
    }
  }
}
