// Conv2D for the wasm backend on native oneDNN (2 threads, blocked weights): reads x and the HWIO filter in place in the
// wasm memory and writes y there. Replaces XNNPACK's conv, which is single-threaded and repacks the weights each step.
import type { KernelConfig } from '@tensorflow/tfjs'
import { requireInput } from '../wasm-kernels/kernel-helpers'
import type { NativeAddon } from './addon'
import { conv2dInfo, nativeConvKernel } from './conv-kernel'

export function nativeConv2dKernel(addon: NativeAddon): KernelConfig {
  return nativeConvKernel('Conv2D', (inputs, attrs) => {
    const x = requireInput(inputs, 'x', 'Conv2D'), filter = requireInput(inputs, 'filter', 'Conv2D')
    const info = conv2dInfo(x.shape, filter.shape, attrs, attrs['dilations'] ?? 1)
    return { a: x, b: filter, outShape: info.outShape, info, run: addon.convForward }
  })
}
