// Conv2DBackpropInput for the wasm backend on native oneDNN: dx from dy and the HWIO filter, in place in the wasm
// memory. Replaces the wasm shim (zero-dilated dy convolved with the flipped filter: 55 % of a wasm train step).
import * as tf from '@tensorflow/tfjs'
import type { KernelConfig } from '@tensorflow/tfjs'
import { pair, requireInput } from '../wasm-kernels/kernel-helpers'
import type { NativeAddon } from './addon'
import { convParams, heap, offsetOf, type WasmBackendView } from './wasm-tensors'

export function nativeConv2dBackpropInputKernel(addon: NativeAddon): KernelConfig {
  return {
    kernelName: 'Conv2DBackpropInput',
    backendName: 'wasm',
    kernelFunc: ({ inputs, backend, attrs }) => {
      const dy = requireInput(inputs, 'dy', 'Conv2DBackpropInput'), filter = requireInput(inputs, 'filter', 'Conv2DBackpropInput')
      const a = attrs ?? {}
      const inputShape = a['inputShape'] as [number, number, number, number]
      const info = tf.backend_util.computeConv2DInfo(inputShape, filter.shape as [number, number, number, number], pair(a['strides']), 1,
        a['pad'] as 'same' | 'valid' | number, a['dimRoundingMode'] as 'floor' | 'round' | 'ceil' | undefined, false,
        tf.backend_util.convertConv2DDataFormat((a['dataFormat'] as 'NHWC' | 'NCHW' | undefined) ?? 'NHWC'))
      if (info.outShape.some((d, i) => d !== dy.shape[i])) {
        throw new Error(`Conv2DBackpropInput (native): dy shape [${dy.shape.join(',')}] does not match the forward output [${info.outShape.join(',')}]`)
      }
      const b = backend as unknown as WasmBackendView
      const out = b.makeOutput(inputShape, 'float32')
      if (tf.util.sizeFromShape(inputShape) === 0) return out
      addon.convBackwardData(heap(b), offsetOf(b, dy), offsetOf(b, filter), offsetOf(b, out), convParams(info))
      return out
    }
  }
}
