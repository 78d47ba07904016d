// Training one MIL aggregator: one bag per step (bags differ in size), Adam, class-weighted cross-entropy,
// early stopping on an inner validation split with the best weights restored. Fixed, seeded bag order = deterministic.
import * as tf from '@tensorflow/tfjs'
import { deriveSeed, mulberry32, shuffled } from '../../eval/rng'
import { createMilModel, type MilConfig, type MilModel } from './models'

/** A bag ready for the device: features [N, D] and the class index. */
export interface TensorBag {
  slideId: number
  label: number
  x: tf.Tensor2D
}

export interface TrainOptions {
  seed: number
  learningRate: number
  maxEpochs: number
  /** stop after this many epochs without a better validation loss */
  patience: number
  /** per-class loss weights (inverse frequency on the training bags by default) */
  classWeights?: number[]
  signal?: AbortSignal
  onEpoch?: (e: EpochRecord) => void
}

export const defaultTrainOptions = { learningRate: 5e-4, maxEpochs: 40, patience: 8 } as const

export interface EpochRecord {
  epoch: number
  trainLoss: number
  validationLoss: number | null
}

export interface TrainResult {
  model: MilModel
  history: EpochRecord[]
  bestEpoch: number
  classWeights: number[]
}

/** w_c = N / (C · n_c): each class contributes equally to the loss; absent classes get weight 0. */
export function inverseFrequencyWeights(labels: readonly number[], classes: number): number[] {
  const counts = new Array<number>(classes).fill(0)
  for (const l of labels) counts[l] = (counts[l] as number) + 1
  return counts.map((n) => (n === 0 ? 0 : labels.length / (classes * n)))
}

function weightedLoss(model: MilModel, bag: TensorBag, weight: number): tf.Scalar {
  const { logits } = model.forward(bag.x)
  // −w · log p[label] via a one-hot product: gather's gradient (UnsortedSegmentSum) has no wasm kernel
  const oneHot = new Float32Array(model.config.classes)
  oneHot[bag.label] = 1
  return tf.mul(tf.neg(tf.sum(tf.mul(tf.logSoftmax(logits), tf.tensor1d(oneHot)))), weight) as tf.Scalar
}

/** Weighted mean loss over bags without gradients (validation / monitoring): one async read for all bags. */
export async function evaluateLoss(model: MilModel, bags: readonly TensorBag[], weights: readonly number[]): Promise<number> {
  if (bags.length === 0) return NaN
  const losses = tf.tidy(() => tf.stack(bags.map((bag) => weightedLoss(model, bag, weights[bag.label] ?? 0))))
  const values = await losses.data()
  losses.dispose()
  let sum = 0
  let norm = 0
  // summed in JS (double) in bag order, exactly as the per-bag reads did: cpu results stay bit-identical
  bags.forEach((bag, i) => {
    sum += values[i] as number
    norm += weights[bag.label] ?? 0
  })
  return norm === 0 ? NaN : sum / norm
}

/**
 * Trains one aggregator. No synchronous reads (a GPU pipeline would stall on each): the per-bag losses stay on the
 * device and are read once per epoch, then summed in JS in bag order as before.
 */
export async function trainMil(config: MilConfig, train: readonly TensorBag[], validation: readonly TensorBag[], options: TrainOptions): Promise<TrainResult> {
  if (train.length === 0) throw new Error('MIL training needs at least one training bag')
  const weights = options.classWeights ?? inverseFrequencyWeights(train.map((b) => b.label), config.classes)
  const model = createMilModel(config, options.seed)
  const optimizer = tf.train.adam(options.learningRate)
  const orderRng = mulberry32(deriveSeed(options.seed, 'order'))
  const monitor = validation.length > 0 ? validation : train
  let best = Infinity
  let bestEpoch = 0
  let snapshot: tf.Tensor[] = model.variables.map((v) => tf.keep(v.clone()))
  let sinceBest = 0
  const history: EpochRecord[] = []
  try {
    for (let epoch = 1; epoch <= options.maxEpochs; epoch++) {
      const costs: tf.Scalar[] = []
      const costWeights: number[] = []
      try {
        for (const bag of shuffled(train, orderRng)) {
          if (options.signal?.aborted) throw new Error('cancelled')
          const w = weights[bag.label] ?? 0
          const cost = optimizer.minimize(() => weightedLoss(model, bag, w), true, model.variables)
          if (cost) {
            costs.push(cost)
            costWeights.push(w)
          }
        }
      } catch (e) {
        tf.dispose(costs)
        throw e
      }
      let sum = 0
      let norm = 0
      if (costs.length > 0) {
        const all = tf.stack(costs)
        tf.dispose(costs)
        const values = await all.data()
        all.dispose()
        costWeights.forEach((w, i) => {
          sum += values[i] as number
          norm += w
        })
      }
      const trainLoss = norm === 0 ? NaN : sum / norm
      const validationLoss = validation.length > 0 ? await evaluateLoss(model, validation, weights) : null
      const record = { epoch, trainLoss, validationLoss }
      history.push(record)
      options.onEpoch?.(record)
      const monitored = validationLoss ?? (await evaluateLoss(model, monitor, weights))
      // strict improvement by a hair, so float noise does not keep a plateau alive
      if (monitored < best - 1e-6) {
        best = monitored
        bestEpoch = epoch
        sinceBest = 0
        snapshot.forEach((t) => t.dispose())
        snapshot = model.variables.map((v) => tf.keep(v.clone()))
      } else if (++sinceBest >= options.patience) break
    }
    model.variables.forEach((v, i) => v.assign(snapshot[i] as tf.Tensor))
    return { model, history, bestEpoch, classWeights: weights }
  } catch (e) {
    model.dispose()
    throw e
  } finally {
    snapshot.forEach((t) => t.dispose())
    optimizer.dispose()
  }
}

/** Class probabilities and per-patch scores of one bag (read asynchronously). */
export async function predictBag(model: MilModel, x: tf.Tensor2D): Promise<{ probs: Float64Array; patchScores: Float32Array }> {
  const [probs, scores] = tf.tidy(() => {
    const out = model.forward(x)
    return [tf.softmax(out.logits), out.patchScores]
  })
  const [p, sc] = await Promise.all([(probs as tf.Tensor).data(), (scores as tf.Tensor).data()])
  const result = { probs: Float64Array.from(p), patchScores: Float32Array.from(sc) }
  tf.dispose([probs as tf.Tensor, scores as tf.Tensor])
  return result
}
