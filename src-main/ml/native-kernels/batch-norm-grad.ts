// Fused BatchNorm backward in training mode for the wasm backend on the native addon: dx, dγ, dβ of an NHWC tensor from
// dy, x and the forward's batch statistics, in one call (double sums, thread-count independent), in place.
import type { KernelConfig, TensorInfo } from '@tensorflow/tfjs'
import { BN_GRAD_KERNEL } from '../nn/batch-norm-kernels'
import { requireInput } from '../wasm-kernels/kernel-helpers'
import type { NativeAddon } from './addon'
import { channelRows, floatBits, heap, offsetOf, type WasmBackendView } from './wasm-tensors'

export function nativeBatchNormGradKernel(addon: NativeAddon): KernelConfig {
  return {
    kernelName: BN_GRAD_KERNEL,
    backendName: 'wasm',
    kernelFunc: ({ inputs, backend, attrs }) => {
      const input = (name: string): TensorInfo => requireInput(inputs, name, BN_GRAD_KERNEL)
      const dy = input('dy'), x = input('x'), mean = input('mean'), variance = input('variance'), gamma = input('gamma')
      const { rows, channels } = channelRows(BN_GRAD_KERNEL, x, [mean, variance, gamma])
      if (dy.shape.join(',') !== x.shape.join(',')) throw new Error(`${BN_GRAD_KERNEL}: dy shape [${dy.shape.join(',')}] differs from x [${x.shape.join(',')}]`)
      const b = backend as unknown as WasmBackendView
      const dx = b.makeOutput(x.shape, 'float32'), dGamma = b.makeOutput([channels], 'float32'), dBeta = b.makeOutput([channels], 'float32')
      if (rows === 0) {
        new Float32Array(heap(b), offsetOf(b, dGamma), channels).fill(0)
        new Float32Array(heap(b), offsetOf(b, dBeta), channels).fill(0)
        return [dx, dGamma, dBeta]
      }
      addon.batchNormBackward(heap(b), offsetOf(b, dy), offsetOf(b, x), offsetOf(b, mean), offsetOf(b, variance), offsetOf(b, gamma),
        offsetOf(b, dx), offsetOf(b, dGamma), offsetOf(b, dBeta), Int32Array.from([rows, channels, floatBits(Number((attrs ?? {})['eps']))]))
      return [dx, dGamma, dBeta]
    }
  }
}
