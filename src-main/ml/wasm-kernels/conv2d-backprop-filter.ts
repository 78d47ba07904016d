// Conv2DBackpropFilter for the wasm backend (stock tfjs-wasm 4.22 lacks it, so no CNN can train there).
// dW = conv(xᵀ, dyᵀ, dilation = stride) on XNNPACK: x as [Ci,Hp,Wp,N] "images", dy as a [Ho,Wo,N,Co] "filter".
// Cost: two transposes of x/dy plus one XNNPACK conv; scope NHWC, forward dilation 1 (see notes/compute.md §6.1).
import * as tf from '@tensorflow/tfjs'
import type { KernelConfig, TensorInfo } from '@tensorflow/tfjs'
import { KernelScope, pair, requireInput, wasmKernel, type KernelBackend } from './kernel-helpers'

export function conv2dBackpropFilterKernel(): KernelConfig {
  const PadV2 = wasmKernel('PadV2'), Transpose = wasmKernel('Transpose'), Conv2D = wasmKernel('Conv2D'), Slice = wasmKernel('Slice')
  return {
    kernelName: 'Conv2DBackpropFilter',
    backendName: 'wasm',
    kernelFunc: ({ inputs, backend, attrs }) => {
      const x = requireInput(inputs, 'x', 'Conv2DBackpropFilter'), dy = requireInput(inputs, 'dy', 'Conv2DBackpropFilter')
      const a = attrs ?? {}
      if (a['dataFormat'] && a['dataFormat'] !== 'NHWC') throw new Error('Conv2DBackpropFilter (wasm shim): only NHWC is supported')
      const filterShape = a['filterShape'] as [number, number, number, number]
      const pad = a['pad'] as 'same' | 'valid' | number
      const info = tf.backend_util.computeConv2DInfo(x.shape as [number, number, number, number], filterShape, pair(a['strides']), 1,
        pad, a['dimRoundingMode'] as 'floor' | 'round' | 'ceil' | undefined, false, 'channelsLast')
      const s = new KernelScope(backend as KernelBackend)
      const { top, bottom, left, right } = info.padInfo
      let xp: TensorInfo = x
      if (top || bottom || left || right) {
        xp = s.run(PadV2, { x }, { paddings: [[0, 0], [top, bottom], [left, right], [0, 0]], constantValue: 0 })
      }
      const xT = s.run(Transpose, { x: xp }, { perm: [3, 1, 2, 0] }) // [Ci,Hp,Wp,N]
      const dyT = s.run(Transpose, { x: dy }, { perm: [1, 2, 0, 3] }) // [Ho,Wo,N,Co]
      const r = s.run(Conv2D, { x: xT, filter: dyT }, {
        strides: [1, 1], pad: 'valid', dataFormat: 'NHWC', dilations: [info.strideHeight, info.strideWidth]
      }) // [Ci,kh',kw',Co]; kh' ≥ kh when the stride does not divide the padded extent
      const [kh, kw, ci, co] = filterShape
      let rs = r
      if (r.shape[1] !== kh || r.shape[2] !== kw) rs = s.run(Slice, { x: r }, { begin: [0, 0, 0, 0], size: [ci, kh, kw, co] })
      const out = s.run(Transpose, { x: rs }, { perm: [1, 2, 0, 3] })
      s.dispose(out, [x, dy])
      return out
    }
  }
}
