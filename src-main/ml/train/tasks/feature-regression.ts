// Training task: a zoo model regresses teacher feature vectors with an L1 loss (the KD half of MCM+KD, and the
// workload of notes/compute.md). Batch keys: x [N,H,W,3] normalised NHWC images, target [N, outputDim].
import * as tf from '@tensorflow/tfjs'
import { createModel, type CreateModelOptions } from '../../models/zoo'
import type { TrainTask } from '../types'

export interface FeatureRegressionOptions extends CreateModelOptions { arch: string }

export function createTask(options: Record<string, unknown>): TrainTask {
  const opts = options as unknown as FeatureRegressionOptions
  if (typeof opts.arch !== 'string') throw new Error('feature-regression task: options.arch (a zoo architecture) is required')
  const model = createModel(opts.arch, { ...opts, seed: opts.seed ?? 0 })
  return {
    trainable: model.params.trainableVariables(),
    buffers: model.params.params.filter((p) => !p.trainable).map((p) => p.variable),
    names: model.params.params.map((p) => p.name),
    loss: (b) => {
      const x = b['x'], target = b['target']
      if (!x || !target) throw new Error('feature-regression batch needs x and target')
      return tf.mean(tf.abs(tf.sub(model.apply(x as tf.Tensor4D, true), target))) as tf.Scalar
    },
    dispose: () => model.dispose()
  }
}
