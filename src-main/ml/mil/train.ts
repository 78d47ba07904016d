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

/** Weighted mean loss over bags without gradients (validation / monitoring). */
export function evaluateLoss(model: MilModel, bags: readonly TensorBag[], weights: readonly number[]): number {
  let sum = 0
  let norm = 0
  for (const bag of bags) {
    const w = weights[bag.label] ?? 0
    sum += tf.tidy(() => weightedLoss(model, bag, w).dataSync()[0] as number)
    norm += w
  }
  return norm === 0 ? NaN : sum / norm
}

export function trainMil(config: MilConfig, train: readonly TensorBag[], validation: readonly TensorBag[], options: TrainOptions): TrainResult {
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
      let sum = 0
      let norm = 0
      for (const bag of shuffled(train, orderRng)) {
        if (options.signal?.aborted) throw new Error('cancelled')
        const w = weights[bag.label] ?? 0
        const cost = optimizer.minimize(() => weightedLoss(model, bag, w), true, model.variables)
        if (cost) {
          sum += cost.dataSync()[0] as number
          norm += w
          cost.dispose()
        }
      }
      const trainLoss = norm === 0 ? NaN : sum / norm
      const validationLoss = validation.length > 0 ? evaluateLoss(model, validation, weights) : null
      const record = { epoch, trainLoss, validationLoss }
      history.push(record)
      options.onEpoch?.(record)
      const monitored = validationLoss ?? evaluateLoss(model, monitor, weights)
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

/** Class probabilities and per-patch scores of one bag. */
export function predictBag(model: MilModel, x: tf.Tensor2D): { probs: Float64Array; patchScores: Float32Array } {
  const [probs, scores] = tf.tidy(() => {
    const out = model.forward(x)
    return [tf.softmax(out.logits), out.patchScores]
  })
  const result = { probs: Float64Array.from((probs as tf.Tensor).dataSync()), patchScores: Float32Array.from((scores as tf.Tensor).dataSync()) }
  tf.dispose([probs as tf.Tensor, scores as tf.Tensor])
  return result
}
