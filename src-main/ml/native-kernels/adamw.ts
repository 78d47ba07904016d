// Fused AdamW update for the wasm backend on the native addon: new (param, m, v) from (param, m, v, grad) in one pass
// over the wasm memory, bit-identical to the optimizer's op-by-op path (native/dnnl/adamw.cc keeps its float32 order).
// Outputs are fresh tensors, never the inputs' memory: a variable's data may be shared (tf.clone, assign).
// Replaces ~10 single-threaded wasm ops per parameter tensor (~14 % of a ResNet-18 @64 step, docs/cpu-profile.md §3b).
import * as tf from '@tensorflow/tfjs'
import type { KernelConfig } from '@tensorflow/tfjs'
import { ADAMW_KERNEL, type AdamWKernelAttrs } from '../mcm/optimizer-kernels'
import { requireInput } from '../wasm-kernels/kernel-helpers'
import type { NativeAddon } from './addon'
import { floatBits, heap, offsetOf, type WasmBackendView } from './wasm-tensors'

export function nativeAdamWKernel(addon: NativeAddon): KernelConfig {
  return {
    kernelName: ADAMW_KERNEL,
    backendName: 'wasm',
    kernelFunc: ({ inputs, backend, attrs }) => {
      const ins = (['param', 'm', 'v', 'grad'] as const).map((k) => requireInput(inputs, k, ADAMW_KERNEL))
      const shape = (ins[0] as tf.TensorInfo).shape
      for (const t of ins) {
        if (!tf.util.arraysEqual(t.shape, shape)) throw new Error(`${ADAMW_KERNEL}: param, m, v and grad must have one shape, got [${ins.map((u) => `[${u.shape.join(',')}]`).join(', ')}]`)
      }
      const a = (attrs ?? {}) as unknown as AdamWKernelAttrs
      const b = backend as unknown as WasmBackendView
      const outs = [0, 1, 2].map(() => b.makeOutput(shape, 'float32'))
      const n = tf.util.sizeFromShape(shape)
      if (n === 0) return outs
      const flags = (a.clip !== 1 ? 1 : 0) | (a.weightDecay > 0 ? 2 : 0)
      // the scalars as the op-by-op path's tf.scalar(x) rounds them (JS arithmetic in double first)
      const scalars = [a.clip, a.b1, 1 - a.b1, a.b2, 1 - a.b2, a.bc1, a.bc2, a.eps, a.weightDecay, a.lr].map(floatBits)
      addon.adamwUpdate(heap(b), ...ins.map((t) => offsetOf(b, t)), ...outs.map((t) => offsetOf(b, t)), Int32Array.from([n, flags, ...scalars]))
      return outs
    }
  }
}
