// Functional layers over a ParamStore, matching PyTorch semantics (symmetric padding, BatchNorm momentum/eps/unbiased
// running variance, LayerNorm, exact-erf GELU). Each factory registers its tensors under torch names and returns a forward.
import * as tf from '@tensorflow/tfjs'
import { BN_GRAD_KERNEL, BN_TRAIN_KERNEL, fusedBatchNormAvailable } from './batch-norm-kernels'
import { kaimingFanOut, type ParamStore } from './params'

export type Forward4D = (x: tf.Tensor4D, training: boolean) => tf.Tensor4D

/** nn.Conv2d (NHWC). PyTorch pads symmetrically: passed as a numeric pad, which tfjs also pads on all four sides. */
export function conv2d(store: ParamStore, name: string, inC: number, outC: number, k: number, stride = 1, pad = 0, bias = false): Forward4D {
  const w = store.add(`${name}.weight`, [k, k, inC, outC], 'conv', kaimingFanOut(k, outC))
  const b = bias ? store.add(`${name}.bias`, [outC], 'plain', { kind: 'zeros' }) : null
  return (x) => {
    const y = tf.conv2d(x, w as tf.Tensor4D, stride, pad === 0 ? 'valid' : pad)
    return b ? tf.add(y, b) as tf.Tensor4D : y
  }
}

/**
 * Per-channel sum over N, H, W in two stages (over W, then N·H). The wasm Sum kernel accumulates sequentially in
 * float32; over 6272+ elements (2×56×56) that loses ~1e-4 relative, which BN backward's cancellations amplify to
 * percent-level gradient errors in early layers. PyTorch accumulates in double on CPU; two short sums get close.
 */
function sumNHW(t: tf.Tensor): tf.Tensor1D {
  return tf.sum(tf.sum(t, 2), [0, 1]) as tf.Tensor1D
}

/**
 * nn.BatchNorm2d. Training normalises with batch statistics and updates running_mean/var (momentum 0.1, unbiased
 * variance) and num_batches_tracked, like PyTorch. The backward is a custom gradient: the autodiff of moments()
 * broadcasts with Tile (14 % of a wasm train step); the closed form needs only reductions and broadcast multiplies.
 * Where the backend registers the fused kernels (batch-norm-kernels.ts: wasm with the native addon), forward and
 * backward are one kernel each (double sums); otherwise ~20 tfjs ops per layer and direction.
 */
export function batchNorm2d(store: ParamStore, name: string, channels: number, eps = 1e-5, momentum = 0.1): Forward4D {
  const gamma = store.add(`${name}.weight`, [channels], 'plain', { kind: 'ones' })
  const beta = store.add(`${name}.bias`, [channels], 'plain', { kind: 'zeros' })
  const runMean = store.add(`${name}.running_mean`, [channels], 'plain', { kind: 'zeros' }, false)
  const runVar = store.add(`${name}.running_var`, [channels], 'plain', { kind: 'ones' }, false)
  const tracked = store.add(`${name}.num_batches_tracked`, [], 'plain', { kind: 'zeros' }, false)
  const updateRunning = (mean: tf.Tensor, variance: tf.Tensor, n: number): void => {
    // running stats (no gradient flows here); PyTorch uses the unbiased variance for running_var
    tf.tidy(() => {
      runMean.assign(tf.add(tf.mul(runMean, 1 - momentum), tf.mul(mean, momentum)))
      runVar.assign(tf.add(tf.mul(runVar, 1 - momentum), tf.mul(variance, (momentum * n) / Math.max(n - 1, 1))))
      tracked.assign(tf.add(tracked, 1))
    })
  }
  const fusedFn = tf.customGrad((x, g, b, save) => {
    const x4 = x as tf.Tensor4D
    const [y, mean, variance] = tf.engine().runKernel(BN_TRAIN_KERNEL, { x: x4, gamma: g as tf.Tensor, beta: b as tf.Tensor }, { eps }) as tf.Tensor[]
    ;(save as tf.GradSaveFunc)([x4, mean as tf.Tensor, variance as tf.Tensor, g as tf.Tensor])
    updateRunning(mean as tf.Tensor, variance as tf.Tensor, x4.shape[0] * x4.shape[1] * x4.shape[2])
    return {
      value: y as tf.Tensor,
      gradFunc: (dy, saved) => {
        const [xs, m, v, gm] = saved as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor]
        return tf.engine().runKernel(BN_GRAD_KERNEL, { dy: dy as tf.Tensor, x: xs, mean: m, variance: v, gamma: gm }, { eps }) as tf.Tensor[]
      }
    }
  })
  const trainFn = tf.customGrad((x, g, b, save) => {
    const x4 = x as tf.Tensor4D
    const n = x4.shape[0] * x4.shape[1] * x4.shape[2]
    const mean = tf.div(sumNHW(x4), n)
    const variance = tf.div(sumNHW(tf.squaredDifference(x4, mean)), n)
    const invStd = tf.rsqrt(tf.add(variance, eps))
    const xhat = tf.mul(tf.sub(x4, mean), invStd)
    ;(save as tf.GradSaveFunc)([xhat, invStd, g as tf.Tensor])
    updateRunning(mean, variance, n)
    return {
      value: tf.add(tf.mul(xhat, g as tf.Tensor), b as tf.Tensor),
      gradFunc: (dy, saved) => {
        const [xh, inv, gm] = saved as [tf.Tensor, tf.Tensor, tf.Tensor]
        const dyT = dy as tf.Tensor
        const dBeta = sumNHW(dyT)
        const dGamma = sumNHW(tf.mul(dyT, xh))
        // dx = γ·invstd/N · (N·dy − Σdy − x̂·Σ(dy·x̂))
        const scale = tf.div(tf.mul(gm, inv), n)
        const dx = tf.mul(tf.sub(tf.sub(tf.mul(dyT, n), dBeta), tf.mul(xh, dGamma)), scale)
        return [dx, dGamma, dBeta]
      }
    }
  })
  return (x, training) => {
    if (!training) return tf.batchNorm(x, runMean, runVar, beta, gamma, eps) as tf.Tensor4D
    return (fusedBatchNormAvailable() ? fusedFn : trainFn)(x, gamma, beta) as tf.Tensor4D
  }
}

/** nn.Linear over the last axis of any-rank input. tfjs weight [in, out] (torch [out, in]). */
export function linear(store: ParamStore, name: string, inF: number, outF: number, bias = true, std = 0.02): (x: tf.Tensor) => tf.Tensor {
  const w = store.add(`${name}.weight`, [inF, outF], 'linear', { kind: 'truncnormal', std })
  const b = bias ? store.add(`${name}.bias`, [outF], 'plain', { kind: 'zeros' }) : null
  return (x) => {
    const lead = x.shape.slice(0, -1)
    const x2 = x.rank === 2 ? (x as tf.Tensor2D) : tf.reshape(x, [-1, inF]) as tf.Tensor2D
    let y: tf.Tensor = tf.matMul(x2, w as tf.Tensor2D)
    if (b) y = tf.add(y, b)
    return x.rank === 2 ? y : tf.reshape(y, [...lead, outF])
  }
}

/** nn.LayerNorm over the last axis. */
export function layerNorm(store: ParamStore, name: string, dim: number, eps = 1e-6): (x: tf.Tensor) => tf.Tensor {
  const g = store.add(`${name}.weight`, [dim], 'plain', { kind: 'ones' })
  const b = store.add(`${name}.bias`, [dim], 'plain', { kind: 'zeros' })
  return (x) => {
    const { mean, variance } = tf.moments(x, -1, true)
    return tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, eps))), g), b)
  }
}

/** nn.GELU (exact, erf form), as timm's ViT uses. */
export function gelu(x: tf.Tensor): tf.Tensor {
  return tf.mul(tf.mul(x, 0.5), tf.add(tf.erf(tf.mul(x, Math.SQRT1_2)), 1))
}
