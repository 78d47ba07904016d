// Conv2DBackpropFilter for the wasm backend on native oneDNN: dW (HWIO) from x and dy, read in place in the wasm
// memory. Replaces the wasm shim (a big-kernel XNNPACK convolution over transposed copies: 22 % of a wasm train step).
import * as tf from '@tensorflow/tfjs'
import type { KernelConfig } from '@tensorflow/tfjs'
import { pair, requireInput } from '../wasm-kernels/kernel-helpers'
import type { NativeAddon } from './addon'
import { convParams, heap, offsetOf, type WasmBackendView } from './wasm-tensors'

export function nativeConv2dBackpropFilterKernel(addon: NativeAddon): KernelConfig {
  return {
    kernelName: 'Conv2DBackpropFilter',
    backendName: 'wasm',
    kernelFunc: ({ inputs, backend, attrs }) => {
      const x = requireInput(inputs, 'x', 'Conv2DBackpropFilter'), dy = requireInput(inputs, 'dy', 'Conv2DBackpropFilter')
      const a = attrs ?? {}
      const filterShape = a['filterShape'] as [number, number, number, number]
      const info = tf.backend_util.computeConv2DInfo(x.shape as [number, number, number, number], filterShape, pair(a['strides']), 1,
        a['pad'] as 'same' | 'valid' | number, a['dimRoundingMode'] as 'floor' | 'round' | 'ceil' | undefined, false,
        tf.backend_util.convertConv2DDataFormat((a['dataFormat'] as 'NHWC' | 'NCHW' | undefined) ?? 'NHWC'))
      if (info.outShape.some((d, i) => d !== dy.shape[i])) {
        throw new Error(`Conv2DBackpropFilter (native): dy shape [${dy.shape.join(',')}] does not match the forward output [${info.outShape.join(',')}]`)
      }
      const b = backend as unknown as WasmBackendView
      const out = b.makeOutput(filterShape, 'float32')
      if (tf.util.sizeFromShape(filterShape) === 0) return out
      if (tf.util.sizeFromShape(x.shape) === 0) {
        new Float32Array(heap(b), offsetOf(b, out), tf.util.sizeFromShape(filterShape)).fill(0) // no samples: zero gradient
        return out
      }
      addon.convBackwardWeights(heap(b), offsetOf(b, x), offsetOf(b, dy), offsetOf(b, out), convParams(info))
      return out
    }
  }
}
