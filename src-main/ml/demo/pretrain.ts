// Supervised proxy pretraining of a zoo feature extractor: a linear head on its features regresses z-scored targets
// (MSE, Adam, seeded order and flips/rotations). Used only to make the demo's student and teacher reproducibly.
import * as tf from '@tensorflow/tfjs'
import { Prng } from '../../cohort/prng'
import type { ZooModel } from '../models/manifest'

export interface PretrainOptions {
  model: ZooModel
  /** count × patch² × 3 RGB bytes */
  pixels: Uint8Array
  patchSize: number
  count: number
  /** count × targetDim raw targets (z-scored here) */
  targets: Float32Array
  targetDim: number
  epochs: number
  batchSize: number
  learningRate: number
  seed: number
  /** stain augmentation strength a (0 = none): optical density scaled by s·(1+j_c), s ∈ [1−a, 1+a], j_c ∈ ±a/2 */
  stainJitter?: number
  signal?: AbortSignal
  onProgress?: (fraction: number, message: string, metrics: { loss: number; imagesPerSecond: number }) => void
}

export interface PretrainResult {
  epochLosses: number[]
  seconds: number
  imagesPerSecond: number
}

/**
 * Per-channel lookup tables of one seeded stain perturbation: each channel's optical density OD = −ln((v+1)/256) is
 * scaled, as if the slide had more or less of each stain (the main batch effect between labs and scanners).
 */
export function stainLuts(rng: Prng, a: number): Float32Array[] {
  const s = rng.uniform(1 - a, 1 + a)
  return [0, 1, 2].map(() => {
    const k = s * (1 + rng.uniform(-a / 2, a / 2))
    const lut = new Float32Array(256)
    for (let v = 0; v < 256; v++) lut[v] = Math.min(255, Math.max(0, 256 * Math.exp(Math.log((v + 1) / 256) * k) - 1))
    return lut
  })
}

const IDENTITY_LUT = Float32Array.from({ length: 256 }, (_, v) => v)

/** Normalised NHWC batch with a seeded dihedral augmentation per patch (8 flips/rotations) and optional stain jitter. */
export function makeBatch(pixels: Uint8Array, ps: number, indices: number[], mean: number[], std: number[], rng: Prng | null, stainJitter = 0): tf.Tensor4D {
  const out = new Float32Array(indices.length * ps * ps * 3)
  indices.forEach((idx, b) => {
    const luts = rng && stainJitter > 0 ? stainLuts(rng, stainJitter) : [IDENTITY_LUT, IDENTITY_LUT, IDENTITY_LUT]
    const t = rng ? rng.int(0, 7) : 0
    const base = idx * ps * ps * 3
    for (let y = 0; y < ps; y++) {
      for (let x = 0; x < ps; x++) {
        let sx = t & 1 ? ps - 1 - x : x
        let sy = t & 2 ? ps - 1 - y : y
        if (t & 4) [sx, sy] = [sy, sx]
        const s = base + (sy * ps + sx) * 3
        const d = ((b * ps + y) * ps + x) * 3
        for (let c = 0; c < 3; c++) out[d + c] = (((luts[c] as Float32Array)[pixels[s + c] as number] as number) / 255 - (mean[c] as number)) / (std[c] as number)
      }
    }
  })
  return tf.tensor4d(out, [indices.length, ps, ps, 3])
}

function zScore(targets: Float32Array, dim: number, count: number): Float32Array {
  const out = new Float32Array(targets.length)
  for (let j = 0; j < dim; j++) {
    let s = 0
    let q = 0
    for (let i = 0; i < count; i++) {
      const v = targets[i * dim + j] as number
      s += v
      q += v * v
    }
    const m = s / count
    const sd = Math.sqrt(Math.max(q / count - m * m, 1e-12))
    for (let i = 0; i < count; i++) out[i * dim + j] = ((targets[i * dim + j] as number) - m) / sd
  }
  return out
}

/** Train in place. Cost per image ≈ one forward + backward of the model at patchSize (see bench for img/s). */
export async function pretrain(o: PretrainOptions): Promise<PretrainResult> {
  const { model, patchSize: ps, count, targetDim } = o
  const rng = new Prng(o.seed)
  const y = zScore(o.targets, targetDim, count)
  const dim = model.manifest.outputDim
  const headW = tf.variable(tf.randomNormal([dim, targetDim], 0, 1 / Math.sqrt(dim), 'float32', o.seed), true, `demo_head_w_${o.seed}`)
  const headB = tf.variable(tf.zeros([targetDim]), true, `demo_head_b_${o.seed}`)
  const vars = [...model.params.trainableVariables(), headW, headB]
  const optimizer = tf.train.adam(o.learningRate)
  const { mean, std } = model.manifest
  const stepsPerEpoch = Math.floor(count / o.batchSize)
  const total = stepsPerEpoch * o.epochs
  const started = Date.now()
  const epochLosses: number[] = []
  let step = 0
  try {
    for (let e = 0; e < o.epochs; e++) {
      const order = rng.shuffle(Array.from({ length: count }, (_, i) => i))
      let lossSum = 0
      for (let s = 0; s < stepsPerEpoch; s++) {
        if (o.signal?.aborted) throw new Error('pretraining cancelled')
        const idx = order.slice(s * o.batchSize, (s + 1) * o.batchSize)
        const xb = makeBatch(o.pixels, ps, idx, mean, std, rng, o.stainJitter ?? 0)
        const yt = new Float32Array(idx.length * targetDim)
        idx.forEach((i, b) => yt.set(y.subarray(i * targetDim, (i + 1) * targetDim), b * targetDim))
        const yb = tf.tensor2d(yt, [idx.length, targetDim])
        const loss = optimizer.minimize(() => tf.losses.meanSquaredError(yb, tf.add(tf.matMul(model.apply(xb, true), headW), headB)) as tf.Scalar, true, vars)
        const lv = (await (loss as tf.Scalar).data())[0] as number
        tf.dispose([xb, yb, loss as tf.Scalar])
        if (!Number.isFinite(lv)) throw new Error(`pretraining ${model.manifest.arch}: loss became ${lv} at step ${step}`)
        lossSum += lv
        step++
        const ips = (step * o.batchSize) / Math.max((Date.now() - started) / 1000, 1e-3)
        if (step % 5 === 0 || step === total) o.onProgress?.(step / total, `epoch ${e + 1}/${o.epochs} step ${s + 1}/${stepsPerEpoch} loss ${lv.toFixed(4)}`, { loss: lv, imagesPerSecond: ips })
      }
      epochLosses.push(lossSum / Math.max(stepsPerEpoch, 1))
    }
  } finally {
    optimizer.dispose()
    headW.dispose()
    headB.dispose()
  }
  const seconds = (Date.now() - started) / 1000
  return { epochLosses, seconds, imagesPerSecond: (step * o.batchSize) / Math.max(seconds, 1e-3) }
}

/** Features of every patch (eval mode, no augmentation), batched; returns count × outputDim. */
export async function extractFeatures(model: ZooModel, pixels: Uint8Array, ps: number, count: number, batchSize = 128): Promise<Float32Array> {
  const dim = model.manifest.outputDim
  const out = new Float32Array(count * dim)
  for (let s = 0; s < count; s += batchSize) {
    const idx = Array.from({ length: Math.min(batchSize, count - s) }, (_, i) => s + i)
    const xb = makeBatch(pixels, ps, idx, model.manifest.mean, model.manifest.std, null)
    const f = tf.tidy(() => model.apply(xb, false))
    out.set(await f.data(), s * dim)
    tf.dispose([xb, f])
  }
  return out
}
