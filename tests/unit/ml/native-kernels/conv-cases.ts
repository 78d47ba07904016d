// Shared helpers of the native-kernel tests: the conv shapes of ResNet-18/50 and ViT-S/16 (real channels, kernels,
// strides and paddings; spatial size and batch cut down so the pure-JS cpu reference stays fast) and a comparison.
import * as tf from '@tensorflow/tfjs'
import { useBackend } from '../../../../src-main/ml/backend'
import { itWithNativeAddon } from '../../../helpers/native'
import { nativeKernelsInstalled } from '../../../../src-main/ml/native-kernels/index'

export interface ConvCase { name: string; n: number; h: number; w: number; ci: number; co: number; k: number; stride: number; pad: 'same' | 'valid' | number }

export const convCases: ConvCase[] = [
  { name: 'resnet stem 7x7/2 pad 3', n: 2, h: 32, w: 32, ci: 3, co: 64, k: 7, stride: 2, pad: 3 },
  { name: 'resnet18 layer1 3x3 pad 1', n: 2, h: 10, w: 10, ci: 64, co: 64, k: 3, stride: 1, pad: 1 },
  { name: 'resnet18 layer3 3x3/2 pad 1 (odd size)', n: 1, h: 9, w: 9, ci: 128, co: 256, k: 3, stride: 2, pad: 1 },
  { name: 'resnet18 downsample 1x1/2', n: 2, h: 8, w: 8, ci: 256, co: 512, k: 1, stride: 2, pad: 0 },
  { name: 'resnet50 bottleneck 1x1 expand', n: 2, h: 7, w: 7, ci: 64, co: 256, k: 1, stride: 1, pad: 0 },
  { name: 'resnet50 bottleneck 1x1 reduce', n: 1, h: 7, w: 7, ci: 256, co: 64, k: 1, stride: 1, pad: 0 },
  { name: 'vit-s/16 patch embed 16x16/16', n: 2, h: 32, w: 32, ci: 3, co: 384, k: 16, stride: 16, pad: 'valid' },
  { name: 'tfjs same padding, stride 2, asymmetric (0 top, 1 bottom)', n: 1, h: 10, w: 12, ci: 5, co: 7, k: 3, stride: 2, pad: 'same' }
]

/** Deterministic pseudo-random values in [-1, 1). */
export function rand(n: number, seed: number): Float32Array {
  const out = new Float32Array(n)
  let s = seed >>> 0
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0
    out[i] = s / 2 ** 31 - 1
  }
  return out
}

/** max |a − b| over max |b|: the error relative to the reference's scale. */
export function maxRelErr(a: Float32Array, b: Float32Array): number {
  let diff = 0, scale = 1e-6
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs((a[i] as number) - (b[i] as number)))
    scale = Math.max(scale, Math.abs(b[i] as number))
  }
  return diff / scale
}

/** One of y, dx, dW of sum(conv(x, W) · r) on one backend (only that one: the cpu reference is slow). */
export async function convResult(backend: 'cpu' | 'wasm', c: ConvCase, what: 'y' | 'dx' | 'dw'): Promise<Float32Array> {
  await useBackend(backend)
  const x = tf.tensor4d(rand(c.n * c.h * c.w * c.ci, 1), [c.n, c.h, c.w, c.ci])
  const w = tf.tensor4d(rand(c.k * c.k * c.ci * c.co, 2).map((v) => v / Math.sqrt(c.k * c.k * c.ci)), [c.k, c.k, c.ci, c.co])
  const conv = (a: tf.Tensor, b: tf.Tensor): tf.Tensor4D => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.stride, c.pad)
  const outShape = tf.tidy(() => conv(x, w).shape)
  const r = tf.tensor(rand(outShape.reduce((p, q) => p * q, 1), 3), outShape)
  const loss = (a: tf.Tensor, b: tf.Tensor): tf.Scalar => tf.sum(tf.mul(conv(a, b), r))
  const out = what === 'y' ? conv(x, w)
    : what === 'dx' ? tf.grad((a: tf.Tensor) => loss(a, w))(x)
      : tf.grad((b: tf.Tensor) => loss(x, b))(w)
  const data = (await out.data()) as Float32Array
  tf.dispose([x, w, r, out])
  return data
}

/** A native-kernel test on the wasm backend (run / skip / fail as tests/helpers/native.ts decides). */
export function itNative(name: string, fn: () => Promise<void>): void {
  itWithNativeAddon(name, async () => {
    await useBackend('wasm')
    if (!nativeKernelsInstalled()) throw new Error('native kernels were not installed on the wasm backend')
    await fn()
  })
}
