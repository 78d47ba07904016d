// Fast Conv2DBackpropInput for the wasm backend: the stock kernel is a naive loop (58 % of a train step).
// dx = VALID conv (XNNPACK) of the zero-dilated, padded dy with the spatially flipped, in/out-swapped filter.
// Strided convs use a polyphase split instead of zero-dilating dy (which wastes 3/4 of the FLOPs at stride 2, measured
// 4× the forward conv): for each output phase (rh, rw) a stride-1 VALID conv of dy with the taps W[rh::s, rw::s],
// then the s² phase images are interleaved with concat + reshape. Scope NHWC, dilation 1.
import * as tf from '@tensorflow/tfjs'
import type { KernelConfig, TensorInfo } from '@tensorflow/tfjs'
import { KernelScope, pair, requireInput, wasmKernel, type KernelBackend } from './kernel-helpers'

type Kernel = ReturnType<typeof wasmKernel>

/** dx for stride > 1: one stride-1 conv per phase, interleaved. See the header. */
function polyphaseBackpropInput(s: KernelScope, k: Record<string, Kernel>, dy: TensorInfo, filter: TensorInfo,
  inputShape: [number, number, number, number], sh: number, sw: number, padTop: number, padLeft: number): TensorInfo {
  const [N, H, W, Ci] = inputShape
  const [kh, kw, , Co] = filter.shape as [number, number, number, number]
  const Ho = dy.shape[1] as number, Wo = dy.shape[2] as number
  const Mh = Math.ceil((H + padTop) / sh), Mw = Math.ceil((W + padLeft) / sw)
  const rows: TensorInfo[] = []
  for (let rh = 0; rh < sh; rh++) {
    const cols: TensorInfo[] = []
    for (let rw = 0; rw < sw; rw++) {
      const Th = Math.max(0, Math.ceil((kh - rh) / sh)), Tw = Math.max(0, Math.ceil((kw - rw) / sw))
      let phase: TensorInfo
      if (Th === 0 || Tw === 0) {
        phase = s.run(k['Fill'] as Kernel, {}, { shape: [N, Mh, Mw, Ci], value: 0, dtype: 'float32' })
      } else {
        const sub = s.run(k['StridedSlice'] as Kernel, { x: filter }, { begin: [rh, rw, 0, 0], end: [kh, kw, Ci, Co], strides: [sh, sw, 1, 1],
          beginMask: 0, endMask: 0, ellipsisMask: 0, newAxisMask: 0, shrinkAxisMask: 0 })
        const flipped = s.run(k['Reverse'] as Kernel, { x: sub }, { dims: [0, 1] })
        const swapped = s.run(k['Transpose'] as Kernel, { x: flipped }, { perm: [0, 1, 3, 2] })
        // out[m] = Σ_t dy[m − t]·Wsub[t] for m ∈ [0, M): pad Th−1 before, and up to M after (slice if dy is longer)
        const bottom = Mh - Ho, right = Mw - Wo
        let d = s.run(k['PadV2'] as Kernel, { x: dy }, { paddings: [[0, 0], [Th - 1, Math.max(bottom, 0)], [Tw - 1, Math.max(right, 0)], [0, 0]], constantValue: 0 })
        if (bottom < 0 || right < 0) d = s.run(k['Slice'] as Kernel, { x: d }, { begin: [0, 0, 0, 0], size: [N, Mh + Th - 1, Mw + Tw - 1, Co] })
        phase = s.run(k['Conv2D'] as Kernel, { x: d, filter: swapped }, { strides: [1, 1], pad: 'valid', dataFormat: 'NHWC', dilations: [1, 1] })
      }
      cols.push(s.run(k['Reshape'] as Kernel, { x: phase }, { shape: [N, Mh, 1, Mw, 1, Ci] }))
    }
    rows.push(sw > 1 ? s.run(k['Concat'] as Kernel, cols as unknown as Record<string, TensorInfo>, { axis: 4 }) : cols[0] as TensorInfo)
  }
  const stacked = sh > 1 ? s.run(k['Concat'] as Kernel, rows as unknown as Record<string, TensorInfo>, { axis: 2 }) : rows[0] as TensorInfo
  const full = s.run(k['Reshape'] as Kernel, { x: stacked }, { shape: [N, Mh * sh, Mw * sw, Ci] })
  return s.run(k['Slice'] as Kernel, { x: full }, { begin: [0, padTop, padLeft, 0], size: [N, H, W, Ci] })
}

export function conv2dBackpropInputKernel(): KernelConfig {
  const kernels: Record<string, Kernel> = {}
  for (const name of ['Fill', 'StridedSlice', 'Concat', 'Reshape', 'PadV2', 'Slice', 'Reverse', 'Transpose', 'Conv2D']) kernels[name] = wasmKernel(name)
  const [Reshape, PadV2, Slice, Reverse, Transpose, Conv2D] =
    ['Reshape', 'PadV2', 'Slice', 'Reverse', 'Transpose', 'Conv2D'].map(wasmKernel) as [
      ReturnType<typeof wasmKernel>, ReturnType<typeof wasmKernel>, ReturnType<typeof wasmKernel>,
      ReturnType<typeof wasmKernel>, ReturnType<typeof wasmKernel>, ReturnType<typeof wasmKernel>]
  return {
    kernelName: 'Conv2DBackpropInput',
    backendName: 'wasm',
    kernelFunc: ({ inputs, backend, attrs }) => {
      const dy = requireInput(inputs, 'dy', 'Conv2DBackpropInput'), filter = requireInput(inputs, 'filter', 'Conv2DBackpropInput')
      const a = attrs ?? {}
      if (a['dataFormat'] && a['dataFormat'] !== 'NHWC') throw new Error('Conv2DBackpropInput (wasm shim): only NHWC is supported')
      const inputShape = a['inputShape'] as [number, number, number, number]
      const info = tf.backend_util.computeConv2DInfo(inputShape, filter.shape as [number, number, number, number], pair(a['strides']), 1,
        a['pad'] as 'same' | 'valid' | number, a['dimRoundingMode'] as 'floor' | 'round' | 'ceil' | undefined, false, 'channelsLast')
      const [N, H, W] = inputShape
      const [kh, kw, , Co] = filter.shape as [number, number, number, number]
      const sh = info.strideHeight, sw = info.strideWidth
      const Ho = dy.shape[1] as number, Wo = dy.shape[2] as number
      const s = new KernelScope(backend as KernelBackend)
      // polyphase pays off when the kernel is larger than the stride (3×3/2: 195 → 102 ms, 7×7/2: 257 → 96 ms at N16);
      // for 1×1/2 most phases are empty and the zero-dilated path is as fast
      if ((sh > 1 || sw > 1) && (kh > sh || kw > sw) && process.env['TESSERA_BACKPROP_INPUT'] !== 'dilate') {
        const out = polyphaseBackpropInput(s, kernels, dy, filter, inputShape, sh, sw, info.padInfo.top, info.padInfo.left)
        s.dispose(out, [dy, filter])
        return out
      }
      const pi = info.padInfo
      if ((sh > 1 || sw > 1) && kh === 1 && kw === 1 && !pi.top && !pi.left && process.env['TESSERA_BACKPROP_INPUT'] !== 'dilate') {
        // 1×1/s, no padding: dx is dy·Wᵀ scattered to every s-th pixel — convolve the small dy first, then zero-dilate
        // the result (dilating dy first would run the conv on s² times more pixels: 36–41 ms vs this ≈ 15 ms at N16)
        const wt = s.run(Transpose, { x: filter }, { perm: [0, 1, 3, 2] })
        let r = s.run(Conv2D, { x: dy, filter: wt }, { strides: [1, 1], pad: 'valid', dataFormat: 'NHWC', dilations: [1, 1] }) // [N,Ho,Wo,Ci]
        const Ci = inputShape[3]
        if (sh > 1) {
          r = s.run(Reshape, { x: r }, { shape: [N, Ho, 1, Wo * Ci] })
          r = s.run(PadV2, { x: r }, { paddings: [[0, 0], [0, 0], [0, sh - 1], [0, 0]], constantValue: 0 })
          r = s.run(Reshape, { x: r }, { shape: [N, Ho * sh, Wo, Ci] })
        }
        if (sw > 1) {
          const Hd = r.shape[1] as number
          r = s.run(Reshape, { x: r }, { shape: [N * Hd, Wo, 1, Ci] })
          r = s.run(PadV2, { x: r }, { paddings: [[0, 0], [0, 0], [0, sw - 1], [0, 0]], constantValue: 0 })
          r = s.run(Reshape, { x: r }, { shape: [N, Hd, Wo * sw, Ci] })
        }
        const hd = r.shape[1] as number, wd = r.shape[2] as number
        if (hd < H || wd < W) r = s.run(PadV2, { x: r }, { paddings: [[0, 0], [0, Math.max(H - hd, 0)], [0, Math.max(W - wd, 0)], [0, 0]], constantValue: 0 })
        const out = (r.shape[1] !== H || r.shape[2] !== W) ? s.run(Slice, { x: r }, { begin: [0, 0, 0, 0], size: [N, H, W, Ci] }) : r
        s.dispose(out, [dy, filter])
        return out
      }
      let d: TensorInfo = dy
      if (sh > 1) { // insert sh-1 zero rows after every row
        d = s.run(Reshape, { x: d }, { shape: [N, Ho, 1, Wo * Co] })
        d = s.run(PadV2, { x: d }, { paddings: [[0, 0], [0, 0], [0, sh - 1], [0, 0]], constantValue: 0 })
        d = s.run(Reshape, { x: d }, { shape: [N, Ho * sh, Wo, Co] })
      }
      if (sw > 1) { // insert sw-1 zero columns after every column
        const Hd = d.shape[1] as number
        d = s.run(Reshape, { x: d }, { shape: [N * Hd, Wo, 1, Co] })
        d = s.run(PadV2, { x: d }, { paddings: [[0, 0], [0, 0], [0, sw - 1], [0, 0]], constantValue: 0 })
        d = s.run(Reshape, { x: d }, { shape: [N, Hd, Wo * sw, Co] })
      }
      const aH = kh - 1 - info.padInfo.top, aW = kw - 1 - info.padInfo.left
      const bH = H + kh - 1 - aH - (d.shape[1] as number), bW = W + kw - 1 - aW - (d.shape[2] as number)
      if (aH > 0 || aW > 0 || bH > 0 || bW > 0) {
        d = s.run(PadV2, { x: d }, {
          paddings: [[0, 0], [Math.max(aH, 0), Math.max(bH, 0)], [Math.max(aW, 0), Math.max(bW, 0)], [0, 0]], constantValue: 0
        })
      }
      if (aH < 0 || aW < 0 || bH < 0 || bW < 0) {
        d = s.run(Slice, { x: d }, { begin: [0, Math.max(-aH, 0), Math.max(-aW, 0), 0], size: [N, H + kh - 1, W + kw - 1, Co] })
      }
      const flipped = s.run(Reverse, { x: filter }, { dims: [0, 1] })
      const swapped = s.run(Transpose, { x: flipped }, { perm: [0, 1, 3, 2] })
      const out = s.run(Conv2D, { x: d, filter: swapped }, { strides: [1, 1], pad: 'valid', dataFormat: 'NHWC', dilations: [1, 1] })
      s.dispose(out, [dy, filter])
      return out
    }
  }
}
