// Conv2DBackpropInput for the wasm backend on native oneDNN: dx from dy and the HWIO filter, in place in the wasm
// memory. Replaces the wasm shim (zero-dilated dy convolved with the flipped filter: 55 % of a wasm train step).
import type { KernelConfig } from '@tensorflow/tfjs'
import { requireInput } from '../wasm-kernels/kernel-helpers'
import type { NativeAddon } from './addon'
import { conv2dInfo, expectForwardOutput, nativeConvKernel } from './conv-kernel'

export function nativeConv2dBackpropInputKernel(addon: NativeAddon): KernelConfig {
  return nativeConvKernel('Conv2DBackpropInput', (inputs, attrs) => {
    const dy = requireInput(inputs, 'dy', 'Conv2DBackpropInput'), filter = requireInput(inputs, 'filter', 'Conv2DBackpropInput')
    const inputShape = attrs['inputShape'] as number[]
    const info = conv2dInfo(inputShape, filter.shape, attrs)
    expectForwardOutput('Conv2DBackpropInput', info, dy)
    return { a: dy, b: filter, outShape: inputShape, info, run: addon.convBackwardData }
  })
}
