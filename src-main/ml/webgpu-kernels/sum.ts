// Sum over a block of leading or middle axes on the webgpu backend, without a transpose: x viewed as [A, R, B], each
// thread sums one (a, b) over R (or over one chunk of R, then a second pass adds the chunks). Serves BatchNorm's
// per-channel statistics and their gradients (ml/nn/layers.ts sumNHW: axis 2 of NHWC, then axes [0, 1]).
// Why: tfjs-webgpu 4.22 transposes the reduced axes innermost (a full copy of the activation) and then gives every
// output a 64-thread workgroup, even to sum 16 values (Sum was 10–25 % of a ResNet-18 step on lavapipe). Here reads are
// coalesced across b (the channels) and every thread does useful work.
// Summation order: float32, blocks of 16 terms, block sums added in order (split only when A·B is small and R long:
// chunks of ≥ 128, then the chunks in order; deterministic): the worst-case error grows with 16 + R/16, not R.
// Quirk: Adam turns the relative error of a near-zero gradient sum (e.g. BatchNorm's Σdy) into a full-size update
// difference, so a training run drifts from cpu more than single sums do (MCM+KD parity run: 1e-5 relative on the loss
// after 6 steps, against 1.2e-7 with tfjs-webgpu's tree-ordered Sum; its tolerance is 1e-4). The cpu backend
// accumulates in a JS double, so single sums differ in the last bits; tests/gpu/webgpu-sum.test.ts bounds that.
// Other reductions (innermost axes, non-contiguous axes, int32) go to tfjs-webgpu's kernel.
import * as tf from '@tensorflow/tfjs'
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs'
import type { WebGPUBackend, WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu'
import { SplitSumProgram } from './split-sum'

export interface SplitROptions {
  /** threads wanted; R is split until A·B·splits reaches it (default 8192) */
  targetThreads?: number
  /** fewest R values per split (default 128) */
  minChunk?: number
}

/** [A, R, B] view of a reduction over `axes` of `shape`, or null when the axes are not one contiguous non-innermost block. */
export function middleAxesView(shape: readonly number[], axes: readonly number[]): { a: number; r: number; b: number } | null {
  const sorted = [...new Set(axes)].sort((p, q) => p - q)
  if (sorted.length === 0) return null
  const first = sorted[0] as number, last = sorted[sorted.length - 1] as number
  if (last - first + 1 !== sorted.length || last >= shape.length - 1) return null
  const prod = (s: readonly number[]): number => s.reduce((p, d) => p * d, 1)
  return { a: prod(shape.slice(0, first)), r: prod(shape.slice(first, last + 1)), b: prod(shape.slice(last + 1)) }
}

/** Splits of R (each non-empty) and their length. Pure; exported for tests. */
export function planSplitR(outputs: number, r: number, opts: SplitROptions = {}): { splits: number; chunk: number } {
  const target = opts.targetThreads ?? 8192, minChunk = Math.max(1, opts.minChunk ?? 128)
  let splits = Math.max(1, Math.min(Math.ceil(target / Math.max(1, outputs)), Math.floor(r / minChunk)))
  const chunk = Math.ceil(r / splits)
  splits = Math.ceil(r / chunk)
  return { splits, chunk }
}

/** out[z, a, b] = Σ_{r in chunk z} x[a, r, b]; one thread per output. */
class MiddleSumProgram implements WebGPUProgram {
  variableNames = ['x']
  uniforms = 'A : i32, R : i32, B : i32, chunk : i32,'
  workgroupSize: [number, number, number] = [64, 1, 1]
  outputShape: number[]
  dispatchLayout: { x: number[] }
  dispatch: [number, number, number]
  size = true
  shaderKey = 'tesseraMiddleSum'

  constructor(outputShape: number[]) {
    this.outputShape = outputShape
    this.dispatchLayout = { x: outputShape.map((_, i) => i) }
    this.dispatch = [Math.ceil(tf.util.sizeFromShape(outputShape) / 64), 1, 1]
  }

  getUserCode(): string {
    return `
      fn main(index : i32) {
        if (index < uniforms.size) {
          let ab = uniforms.A * uniforms.B;
          let z = index / ab;
          let rem = index - z * ab;
          let a = rem / uniforms.B;
          let b = rem - a * uniforms.B;
          let rBegin = z * uniforms.chunk;
          let rEnd = min(rBegin + uniforms.chunk, uniforms.R);
          // blocked: 16 terms into a block sum, block sums into the total (error grows with 16 + R/16, not R)
          var sum = 0.0;
          for (var r0 = rBegin; r0 < rEnd; r0 += 16) {
            var block = 0.0;
            for (var r = r0; r < min(r0 + 16, rEnd); r++) { block = block + x[(a * uniforms.R + r) * uniforms.B + b]; }
            sum = sum + block;
          }
          setOutputAtIndex(index, sum);
        }
      }
    `
  }
}

/** Kernel config; `fallback` (tfjs's own Sum) takes every reduction this one does not cover. */
export function webgpuSumKernel(fallback: KernelFunc, split: SplitROptions = {}): KernelConfig {
  const kernelFunc: KernelFunc = (args) => {
    const { inputs, attrs = {} } = args
    const backend = args.backend as unknown as WebGPUBackend
    const x = inputs['x'] as TensorInfo | undefined
    if (!x) throw new Error('Sum (webgpu): input x is required')
    const axes = tf.util.parseAxisParam(attrs['axis'] as number | number[], x.shape)
    const view = middleAxesView(x.shape, axes)
    if (x.dtype !== 'float32' || !view || view.r === 0 || view.a * view.b === 0) return fallback(args) as TensorInfo
    // rank ≥ 1: the innermost axis is never reduced here
    const outShape = x.shape.map((d, i) => (axes.includes(i) ? 1 : d)).filter((_, i) => attrs['keepDims'] === true || !axes.includes(i))
    const plan = planSplitR(view.a * view.b, view.r, split)
    const uniforms = [view.a, view.r, view.b, plan.chunk].map((v) => ({ type: 'int32', data: [v] }))
    if (plan.splits === 1) return backend.runWebGPUProgram(new MiddleSumProgram(outShape), [x], 'float32', uniforms)
    const partial = backend.runWebGPUProgram(new MiddleSumProgram([plan.splits, view.a * view.b]), [x], 'float32', uniforms)
    const out = backend.runWebGPUProgram(new SplitSumProgram(outShape), [partial], 'float32', [{ type: 'int32', data: [plan.splits] }])
    backend.disposeData(partial.dataId)
    return out
  }
  return { kernelName: 'Sum', backendName: 'webgpu', kernelFunc }
}
