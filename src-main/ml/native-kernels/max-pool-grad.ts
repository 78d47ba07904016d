// MaxPoolGrad for the wasm backend on the native addon (OpenMP over the batch): dx from x and dy, in place in the wasm
// memory, bit-identical to the cpu backend (ties: the first maximum in row-major window order gets the gradient).
// Replaces tfjs-wasm's single-threaded scalar loop: 16 % of a ResNet-18 train step at 64 px, batch 64 (one call).
import * as tf from '@tensorflow/tfjs'
import type { KernelConfig } from '@tensorflow/tfjs'
import { requireInput } from '../wasm-kernels/kernel-helpers'
import type { NativeAddon } from './addon'
import { heap, offsetOf, type WasmBackendView } from './wasm-tensors'

export function nativeMaxPoolGradKernel(addon: NativeAddon): KernelConfig {
  return {
    kernelName: 'MaxPoolGrad',
    backendName: 'wasm',
    kernelFunc: ({ inputs, backend, attrs }) => {
      const dy = requireInput(inputs, 'dy', 'MaxPoolGrad'), x = requireInput(inputs, 'input', 'MaxPoolGrad')
      const a = attrs ?? {}
      const info = tf.backend_util.computePool2DInfo(x.shape as [number, number, number, number], a['filterSize'] as [number, number] | number,
        a['strides'] as [number, number] | number, 1, a['pad'] as 'same' | 'valid' | number, a['dimRoundingMode'] as 'floor' | 'round' | 'ceil' | undefined)
      if (info.outShape.some((d, i) => d !== dy.shape[i])) {
        throw new Error(`MaxPoolGrad (native): dy shape [${dy.shape.join(',')}] does not match the pooled shape [${info.outShape.join(',')}]`)
      }
      const b = backend as unknown as WasmBackendView
      const out = b.makeOutput(x.shape, 'float32')
      if (tf.util.sizeFromShape(x.shape) === 0) return out
      if (tf.util.sizeFromShape(info.outShape) === 0) {
        new Float32Array(heap(b), offsetOf(b, out), tf.util.sizeFromShape(x.shape)).fill(0) // no windows: zero gradient
        return out
      }
      addon.maxPoolGrad(heap(b), offsetOf(b, x), offsetOf(b, dy), offsetOf(b, out), Int32Array.from([info.batchSize, info.inHeight, info.inWidth,
        info.inChannels, info.outHeight, info.outWidth, info.strideHeight, info.strideWidth, info.dilationHeight, info.dilationWidth,
        info.effectiveFilterHeight, info.effectiveFilterWidth, info.padInfo.top, info.padInfo.left]))
      return out
    }
  }
}
