// K-fold cross-validation of one MIL aggregator on one feature set: out-of-fold predictions, per-fold metrics,
// per-patch scores from the model that did NOT see the slide, and the training curves.
import * as tf from '@tensorflow/tfjs'
import { summarize, subset, type Predictions } from '../../eval/metrics'
import { deriveSeed } from '../../eval/rng'
import type { FoldRow } from '../../../src-shared/contracts/eval'
import type { Splits } from '../../eval/splits'
import { defaultMilConfig, type AggregatorName, type MilConfig } from './models'
import { predictBag, trainMil, type EpochRecord, type TensorBag } from './train'

/** One slide's bag of patch features (coords in level-0 px, top-left, N×2 row-major). */
export interface FeatureBag {
  slideId: number
  slideName: string
  label: number
  patientId: string
  coords: Int32Array
  features: Float32Array
  dim: number
}

/** A report fold row (the stable report contract) plus the fold's training history. */
export interface FoldResult extends FoldRow {
  history: EpochRecord[]
}

export interface CrossValidationResult {
  /** out-of-fold predictions, in the order of the input bags */
  oof: Predictions
  folds: FoldResult[]
  /** per-patch scores of each slide from its out-of-fold model */
  patchScores: Map<number, Float32Array>
  parameters: number
  seconds: number
}

export interface CrossValidationOptions {
  aggregator: AggregatorName
  classes: number
  seed: number
  learningRate: number
  maxEpochs: number
  patience: number
  hidden?: number
  attentionDim?: number
  signal?: AbortSignal
  onProgress?: (doneFraction: number, message: string) => void
}

export async function crossValidate(bags: readonly FeatureBag[], splits: Splits, options: CrossValidationOptions): Promise<CrossValidationResult> {
  const started = Date.now()
  if (bags.length === 0) throw new Error('no bags to evaluate')
  const dim = bags[0]!.dim
  for (const b of bags) {
    if (b.dim !== dim) throw new Error(`slide "${b.slideName}" has feature dim ${b.dim}, others have ${dim}: one feature set must use one encoder`)
    if (b.features.length === 0) throw new Error(`slide "${b.slideName}" has no patches`)
  }
  const config: MilConfig = {
    aggregator: options.aggregator,
    inputDim: dim,
    classes: options.classes,
    hidden: options.hidden ?? defaultMilConfig.hidden,
    attentionDim: options.attentionDim ?? defaultMilConfig.attentionDim
  }
  const indexOf = new Map(bags.map((b, i) => [b.slideId, i]))
  // Uploaded once per feature set and shared by all folds (N×D float32 each; ~1 MB per 500×512 bag).
  const tensors: TensorBag[] = bags.map((b) => ({ slideId: b.slideId, label: b.label, x: tf.tensor2d(b.features, [b.features.length / dim, dim]) }))
  const probs = new Float64Array(bags.length * options.classes).fill(NaN)
  const patchScores = new Map<number, Float32Array>()
  const folds: FoldResult[] = []
  let parameters = 0
  const pick = (ids: number[]): TensorBag[] =>
    ids.map((id) => {
      const i = indexOf.get(id)
      if (i === undefined) throw new Error(`split names slide ${id}, which has no features`)
      return tensors[i] as TensorBag
    })
  try {
    for (const fold of splits.folds) {
      const trained = await trainMil(config, pick(fold.train), pick(fold.validation), {
        seed: deriveSeed(options.seed, 'fold', fold.fold),
        learningRate: options.learningRate,
        maxEpochs: options.maxEpochs,
        patience: options.patience,
        signal: options.signal,
        onEpoch: (e) =>
          options.onProgress?.(
            (folds.length + e.epoch / options.maxEpochs) / splits.folds.length,
            `fold ${fold.fold + 1}/${splits.folds.length} epoch ${e.epoch}: train ${e.trainLoss.toFixed(4)}${e.validationLoss === null ? '' : ` val ${e.validationLoss.toFixed(4)}`}`
          )
      })
      parameters = trained.model.parameterCount()
      try {
        for (const bag of pick(fold.test)) {
          const i = indexOf.get(bag.slideId) as number
          const out = await predictBag(trained.model, bag.x)
          probs.set(out.probs, i * options.classes)
          patchScores.set(bag.slideId, out.patchScores)
        }
      } finally {
        trained.model.dispose()
      }
      const testIdx = fold.test.map((id) => indexOf.get(id) as number)
      const labels = Int32Array.from(bags.map((b) => b.label))
      const m = summarize(subset({ labels, probs, classes: options.classes }, testIdx))
      folds.push({
        fold: fold.fold,
        auc: m.auc,
        balanced_accuracy: m.balanced_accuracy,
        f1: m.f1,
        n_test: fold.test.length,
        n_train: fold.train.length,
        n_validation: fold.validation.length,
        best_epoch: trained.bestEpoch,
        epochs_run: trained.history.length,
        history: trained.history
      })
    }
  } finally {
    tensors.forEach((t) => t.x.dispose())
  }
  for (let i = 0; i < bags.length; i++) if (Number.isNaN(probs[i * options.classes] as number)) throw new Error(`slide "${bags[i]!.slideName}" is in no test fold`)
  return {
    oof: { labels: Int32Array.from(bags.map((b) => b.label)), probs, classes: options.classes },
    folds,
    patchScores,
    parameters,
    seconds: (Date.now() - started) / 1000
  }
}
