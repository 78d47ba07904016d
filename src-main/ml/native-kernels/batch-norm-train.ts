// Fused BatchNorm forward in training mode for the wasm backend on the native addon: y, batch mean and biased variance
// of an NHWC tensor in one call (double sums, thread-count independent), in place in the wasm memory.
import type { KernelConfig } from '@tensorflow/tfjs'
import { BN_TRAIN_KERNEL } from '../nn/batch-norm-kernels'
import { requireInput } from '../wasm-kernels/kernel-helpers'
import type { NativeAddon } from './addon'
import { channelRows, floatBits, heap, offsetOf, type WasmBackendView } from './wasm-tensors'

export function nativeBatchNormTrainKernel(addon: NativeAddon): KernelConfig {
  return {
    kernelName: BN_TRAIN_KERNEL,
    backendName: 'wasm',
    kernelFunc: ({ inputs, backend, attrs }) => {
      const x = requireInput(inputs, 'x', BN_TRAIN_KERNEL), gamma = requireInput(inputs, 'gamma', BN_TRAIN_KERNEL), beta = requireInput(inputs, 'beta', BN_TRAIN_KERNEL)
      const { rows, channels } = channelRows(BN_TRAIN_KERNEL, x, [gamma, beta])
      const b = backend as unknown as WasmBackendView
      const y = b.makeOutput(x.shape, 'float32'), mean = b.makeOutput([channels], 'float32'), variance = b.makeOutput([channels], 'float32')
      if (rows === 0) {
        // statistics of an empty batch are 0/0, as the composite path computes them
        new Float32Array(heap(b), offsetOf(b, mean), channels).fill(NaN)
        new Float32Array(heap(b), offsetOf(b, variance), channels).fill(NaN)
        return [y, mean, variance]
      }
      addon.batchNormForward(heap(b), offsetOf(b, x), offsetOf(b, gamma), offsetOf(b, beta), offsetOf(b, y), offsetOf(b, mean), offsetOf(b, variance),
        Int32Array.from([rows, channels, floatBits(Number((attrs ?? {})['eps']))]))
      return [y, mean, variance]
    }
  }
}
