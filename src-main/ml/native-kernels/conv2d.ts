// Conv2D for the wasm backend on native oneDNN (2 threads, blocked weights): reads x and the HWIO filter in place in the
// wasm memory and writes y there. Replaces XNNPACK's conv, which is single-threaded and repacks the weights each step.
import * as tf from '@tensorflow/tfjs'
import type { KernelConfig } from '@tensorflow/tfjs'
import { pair, requireInput } from '../wasm-kernels/kernel-helpers'
import type { NativeAddon } from './addon'
import { convParams, heap, offsetOf, type WasmBackendView } from './wasm-tensors'

export function nativeConv2dKernel(addon: NativeAddon): KernelConfig {
  return {
    kernelName: 'Conv2D',
    backendName: 'wasm',
    kernelFunc: ({ inputs, backend, attrs }) => {
      const x = requireInput(inputs, 'x', 'Conv2D'), filter = requireInput(inputs, 'filter', 'Conv2D')
      const a = attrs ?? {}
      const info = tf.backend_util.computeConv2DInfo(x.shape as [number, number, number, number], filter.shape as [number, number, number, number],
        pair(a['strides']), pair(a['dilations'] ?? 1), a['pad'] as 'same' | 'valid' | number, a['dimRoundingMode'] as 'floor' | 'round' | 'ceil' | undefined,
        false, tf.backend_util.convertConv2DDataFormat((a['dataFormat'] as 'NHWC' | 'NCHW' | undefined) ?? 'NHWC'))
      const b = backend as unknown as WasmBackendView
      const out = b.makeOutput(info.outShape, 'float32')
      if (tf.util.sizeFromShape(info.outShape) === 0 || tf.util.sizeFromShape(x.shape) === 0) return out
      addon.convForward(heap(b), offsetOf(b, x), offsetOf(b, filter), offsetOf(b, out), convParams(info))
      return out
    }
  }
}
