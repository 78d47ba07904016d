// Conv2DBackpropFilter for the webgpu backend: dW (HWIO) = im2col(x)ᵀ · dy as a tiled implicit GEMM in WGSL, with
// split-K over the reduction N·OH·OW when the output (KH·KW·CI × CO) has too few tiles to fill the GPU.
// Why: tfjs-webgpu 4.22's kernel gives each weight one thread that loops over batch × OH × OW without tiling (60 % of a
// ResNet-18 step on lavapipe, docs/gpu/profile-lavapipe.md). Here a 256-thread workgroup computes a 64×64 tile of dW,
// staging 16-deep slices of im2col(x) and dy in workgroup memory (each value read from memory once per tile, not once
// per weight). Split-K writes S partial tiles ([S, M, CO]) and a second pass sums them in a fixed order: results are
// deterministic run to run (no float atomics), at the cost of S·M·CO floats of scratch (capped, see planSplitK).
// Quirk: WGSL barriers must sit in uniform control flow, so the K loop runs a uniform trip count (kChunk / 16) and the
// last split's overhang loads zeros instead of leaving the loop early.
import * as tf from '@tensorflow/tfjs'
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs'
import type { WebGPUBackend, WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu'
import { SplitSumProgram } from './split-sum'

/** Tile of dW per workgroup (rows m = (kh, kw, ci), columns co) and depth of one staged K slice. */
export const TILE_M = 64, TILE_N = 64, TILE_K = 16

export interface SplitKOptions {
  /** workgroups wanted in flight; splits are added until tiles × splits reaches it (default 256: ~2 per SM on a big GPU) */
  targetWorkgroups?: number
  /** fewest K values per split (default 256: 16 staged slices, so a split's loads amortise its tile write) */
  minChunk?: number
  /** cap on the scratch of partial tiles, in floats (default 2^24 = 64 MiB) */
  maxScratch?: number
}

export interface SplitKPlan { splits: number; kChunk: number; tiles: number }

/**
 * How to split the reduction of an M×N output over K: S splits of kChunk (a multiple of TILE_K) each, every split
 * non-empty. Pure; exported for tests. E.g. the ResNet stem at 224 px, batch 32 (M 147, N 64, K 401408) gets 86 splits,
 * the last 3×3 512→512 layer (576 tiles) none.
 */
export function planSplitK(m: number, n: number, k: number, opts: SplitKOptions = {}): SplitKPlan {
  const target = opts.targetWorkgroups ?? 256, minChunk = Math.max(TILE_K, opts.minChunk ?? 256), maxScratch = opts.maxScratch ?? 2 ** 24
  const tiles = Math.ceil(m / TILE_M) * Math.ceil(n / TILE_N)
  let splits = Math.max(1, Math.min(Math.ceil(target / tiles), Math.floor(k / minChunk), Math.floor(maxScratch / Math.max(1, m * n))))
  const kChunk = Math.ceil(k / splits / TILE_K) * TILE_K
  splits = Math.max(1, Math.ceil(k / kChunk)) // rounding kChunk up may leave the last splits empty: drop them
  return { splits, kChunk, tiles }
}

/** The GEMM pass: one workgroup per (co tile, m tile, split); writes dW, or split z's partial sums at [z, M, CO]. */
class FilterGradGemmProgram implements WebGPUProgram {
  variableNames = ['x', 'dy']
  uniforms = 'M : i32, CO : i32, K : i32, kChunk : i32, outH : i32, outW : i32, inH : i32, inW : i32, inC : i32, fW : i32, stride : vec2<i32>, pad : vec2<i32>,'
  workgroupSize: [number, number, number] = [256, 1, 1]
  outputShape: number[]
  dispatchLayout: { x: number[]; y: number[]; z: number[] }
  dispatch: [number, number, number]
  shaderKey = 'tesseraConv2DBackpropFilterGemm'

  constructor(outputShape: number[], m: number, co: number, splits: number) {
    this.outputShape = outputShape
    // only shapes the (unused) getOutputCoords helper tfjs generates; the shader indexes the output itself
    this.dispatchLayout = outputShape.length === 4 ? { x: [3], y: [2], z: [0, 1] } : { x: [2], y: [1], z: [0] }
    this.dispatch = [Math.ceil(co / TILE_N), Math.ceil(m / TILE_M), splits]
  }

  getUserCode(): string {
    return `
      var<workgroup> tileA : array<f32, ${TILE_K * TILE_M}>; // [k][m]: im2col(x) slice
      var<workgroup> tileB : array<f32, ${TILE_K * TILE_N}>; // [k][co]: dy slice

      fn main() {
        let t = i32(localIndex);
        let m0 = i32(workgroupId.y) * ${TILE_M};
        let n0 = i32(workgroupId.x) * ${TILE_N};
        let kBegin = i32(workgroupId.z) * uniforms.kChunk;
        let kEnd = min(kBegin + uniforms.kChunk, uniforms.K);
        // loads: this thread fills column lc of both tiles, rows lr, lr + 4, lr + 8, lr + 12 (consecutive threads read
        // consecutive ci of x and consecutive co of dy: coalesced)
        let lc = t % ${TILE_M};
        let lr = t / ${TILE_M};
        let mL = m0 + lc;
        let ci = mL % uniforms.inC;
        let khw = mL / uniforms.inC;
        let kw = khw % uniforms.fW;
        let kh = khw / uniforms.fW;
        let mOk = mL < uniforms.M;
        let coL = n0 + lc;
        let coOk = coL < uniforms.CO;
        // compute: this thread owns a 4×4 block of the tile (rows ty*4.., columns tx*4..)
        let tx = t % 16;
        let ty = t / 16;
        var acc : array<vec4<f32>, 4>;
        for (var i = 0; i < 4; i++) { acc[i] = vec4<f32>(0.0); }
        let slices = uniforms.kChunk / ${TILE_K}; // uniform trip count (barriers below)
        for (var s = 0; s < slices; s++) {
          let k0 = kBegin + s * ${TILE_K};
          for (var i = 0; i < 4; i++) {
            let r = lr + 4 * i;
            let k = k0 + r;
            var a = 0.0;
            var b = 0.0;
            if (k < kEnd) {
              let ow = k % uniforms.outW;
              let nh = k / uniforms.outW;
              let oh = nh % uniforms.outH;
              let n = nh / uniforms.outH;
              let ih = oh * uniforms.stride.x - uniforms.pad.x + kh;
              let iw = ow * uniforms.stride.y - uniforms.pad.y + kw;
              if (mOk && ih >= 0 && ih < uniforms.inH && iw >= 0 && iw < uniforms.inW) {
                a = x[((n * uniforms.inH + ih) * uniforms.inW + iw) * uniforms.inC + ci];
              }
              if (coOk) { b = dy[k * uniforms.CO + coL]; }
            }
            tileA[r * ${TILE_M} + lc] = a;
            tileB[r * ${TILE_N} + lc] = b;
          }
          workgroupBarrier();
          for (var kk = 0; kk < ${TILE_K}; kk++) {
            let bv = vec4<f32>(tileB[kk * ${TILE_N} + tx * 4], tileB[kk * ${TILE_N} + tx * 4 + 1],
                               tileB[kk * ${TILE_N} + tx * 4 + 2], tileB[kk * ${TILE_N} + tx * 4 + 3]);
            for (var i = 0; i < 4; i++) {
              acc[i] = acc[i] + tileA[kk * ${TILE_M} + ty * 4 + i] * bv;
            }
          }
          workgroupBarrier();
        }
        let base = i32(workgroupId.z) * uniforms.M * uniforms.CO;
        for (var i = 0; i < 4; i++) {
          let m = m0 + ty * 4 + i;
          if (m < uniforms.M) {
            for (var j = 0; j < 4; j++) {
              let co = n0 + tx * 4 + j;
              if (co < uniforms.CO) { result[base + m * uniforms.CO + co] = acc[i][j]; }
            }
          }
        }
      }
    `
  }
}

/** Kernel config; `fallback` (tfjs's own kernel) takes what this one does not handle: NCHW data, non-float32, empty shapes. */
export function webgpuConv2dBackpropFilterKernel(fallback: KernelFunc, split: SplitKOptions = {}): KernelConfig {
  const kernelFunc: KernelFunc = (args) => {
    const { inputs, attrs = {} } = args
    const backend = args.backend as unknown as WebGPUBackend
    const x = inputs['x'] as TensorInfo | undefined, dy = inputs['dy'] as TensorInfo | undefined
    if (!x || !dy) throw new Error('Conv2DBackpropFilter (webgpu): inputs x and dy are required')
    const dataFormat = (attrs['dataFormat'] as 'NHWC' | 'NCHW' | undefined) ?? 'NHWC'
    if (dataFormat !== 'NHWC' || x.dtype !== 'float32' || dy.dtype !== 'float32') return fallback(args) as TensorInfo
    const filterShape = attrs['filterShape'] as [number, number, number, number]
    const info = tf.backend_util.computeConv2DInfo(x.shape as [number, number, number, number], filterShape,
      attrs['strides'] as number | [number, number], 1, attrs['pad'] as 'same' | 'valid' | number,
      attrs['dimRoundingMode'] as 'floor' | 'round' | 'ceil' | undefined, false, 'channelsLast')
    if (info.outShape.some((d, i) => d !== dy.shape[i])) {
      throw new Error(`Conv2DBackpropFilter (webgpu): dy shape [${dy.shape.join(',')}] does not match the forward output [${info.outShape.join(',')}]`)
    }
    const m = info.filterHeight * info.filterWidth * info.inChannels, co = info.outChannels
    const k = info.batchSize * info.outHeight * info.outWidth
    if (k === 0 || m * co === 0) return fallback(args) as TensorInfo // empty: tfjs's kernel returns zeros / an empty dW
    const plan = planSplitK(m, co, k, split)
    const uniforms = [m, co, k, plan.kChunk, info.outHeight, info.outWidth, info.inHeight, info.inWidth, info.inChannels, info.filterWidth]
      .map((v) => ({ type: 'int32', data: [v] }))
      .concat([{ type: 'int32', data: [info.strideHeight, info.strideWidth] }, { type: 'int32', data: [info.padInfo.top, info.padInfo.left] }])
    if (plan.splits === 1) return backend.runWebGPUProgram(new FilterGradGemmProgram(filterShape, m, co, 1), [x, dy], 'float32', uniforms)
    const partial = backend.runWebGPUProgram(new FilterGradGemmProgram([plan.splits, m, co], m, co, plan.splits), [x, dy], 'float32', uniforms)
    const out = backend.runWebGPUProgram(new SplitSumProgram(filterShape), [partial], 'float32', [{ type: 'int32', data: [plan.splits] }])
    backend.disposeData(partial.dataId)
    return out
  }
  return { kernelName: 'Conv2DBackpropFilter', backendName: 'webgpu', kernelFunc }
}
