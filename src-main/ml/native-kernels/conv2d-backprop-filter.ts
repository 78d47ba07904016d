// Conv2DBackpropFilter for the wasm backend on native oneDNN: dW (HWIO) from x and dy, read in place in the wasm
// memory. Replaces the wasm shim (a big-kernel XNNPACK convolution over transposed copies: 22 % of a wasm train step).
import type { KernelConfig } from '@tensorflow/tfjs'
import { requireInput } from '../wasm-kernels/kernel-helpers'
import type { NativeAddon } from './addon'
import { conv2dInfo, expectForwardOutput, nativeConvKernel } from './conv-kernel'

export function nativeConv2dBackpropFilterKernel(addon: NativeAddon): KernelConfig {
  return nativeConvKernel('Conv2DBackpropFilter', (inputs, attrs) => {
    const x = requireInput(inputs, 'x', 'Conv2DBackpropFilter'), dy = requireInput(inputs, 'dy', 'Conv2DBackpropFilter')
    const filterShape = attrs['filterShape'] as number[]
    const info = conv2dInfo(x.shape, filterShape, attrs)
    expectForwardOutput('Conv2DBackpropFilter', info, dy)
    return { a: x, b: dy, outShape: filterShape, info, run: addon.convBackwardWeights }
  })
}
