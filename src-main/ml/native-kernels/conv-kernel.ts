// What the three native convolution kernels share: tfjs's conv geometry from a kernel's attrs, the dy shape check, and
// the wasm-side dispatch (allocate the output, zero it when an operand is empty, call the addon with heap offsets).
import * as tf from '@tensorflow/tfjs'
import type { KernelConfig, NamedAttrMap, NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs'
import { pair } from '../wasm-kernels/kernel-helpers'
import type { ConvEntry } from './addon'
import { convParams, heap, offsetOf, type WasmBackendView } from './wasm-tensors'

type Shape4 = [number, number, number, number]

/** tfjs's own Conv2DInfo for x and filter shapes and a conv kernel's attrs (so shapes and padding match tfjs exactly). */
export function conv2dInfo(xShape: readonly number[], filterShape: readonly number[], attrs: NamedAttrMap, dilations: unknown = 1): tf.backend_util.Conv2DInfo {
  return tf.backend_util.computeConv2DInfo(xShape as Shape4, filterShape as Shape4, pair(attrs['strides']), pair(dilations),
    attrs['pad'] as 'same' | 'valid' | number, attrs['dimRoundingMode'] as 'floor' | 'round' | 'ceil' | undefined, false,
    tf.backend_util.convertConv2DDataFormat((attrs['dataFormat'] as 'NHWC' | 'NCHW' | undefined) ?? 'NHWC'))
}

/** Throws when a gradient kernel's dy does not have the forward output's shape. */
export function expectForwardOutput(kernel: string, info: tf.backend_util.Conv2DInfo, dy: TensorInfo): void {
  if (info.outShape.some((d, i) => d !== dy.shape[i])) {
    throw new Error(`${kernel} (native): dy shape [${dy.shape.join(',')}] does not match the forward output [${info.outShape.join(',')}]`)
  }
}

/** One native conv call: the two operands (in the addon's order), the output shape, the geometry and the entry point. */
export interface ConvPlan { a: TensorInfo; b: TensorInfo; outShape: number[]; info: tf.backend_util.Conv2DInfo; run: ConvEntry }

/** A wasm KernelConfig that runs `plan`'s addon call in place; an empty operand gives a zero output (an empty sum). */
export function nativeConvKernel(kernelName: string, plan: (inputs: NamedTensorInfoMap, attrs: NamedAttrMap) => ConvPlan): KernelConfig {
  return {
    kernelName,
    backendName: 'wasm',
    kernelFunc: ({ inputs, backend, attrs }) => {
      const p = plan(inputs, attrs ?? {})
      const b = backend as unknown as WasmBackendView
      const out = b.makeOutput(p.outShape, 'float32')
      const size = tf.util.sizeFromShape(p.outShape)
      if (size === 0) return out
      if (tf.util.sizeFromShape(p.a.shape) === 0 || tf.util.sizeFromShape(p.b.shape) === 0) {
        new Float32Array(heap(b), offsetOf(b, out), size).fill(0)
        return out
      }
      p.run(heap(b), offsetOf(b, p.a), offsetOf(b, p.b), offsetOf(b, out), convParams(p.info))
      return out
    }
  }
}
