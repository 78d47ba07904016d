// One forward pass of MCM+KD on a batch: student on visible patches → placement into the s×s grid (matMul with a
// constant one-hot matrix, no gather) → context predictor → loss on masked cells (+ λ·visible KD).
import * as tf from '@tensorflow/tfjs'
import type { McmConfig } from '../../../src-shared/contracts/train'
import type { WindowBatch } from './batch'
import type { McmModels } from './models'
import { maskedMean, perPatchLoss } from './objective'
import { atStudentSize, type StateUpdate } from './student'

export interface ForwardResult {
  loss: tf.Scalar
  /** [windows, s², teacherDim] */
  predictions: tf.Tensor3D
  stateUpdates: StateUpdate[]
}

export function forwardBatch(
  m: McmModels,
  b: WindowBatch,
  cfg: McmConfig,
  patchSize: number,
  teacherDim: number,
  mode: { training: boolean; studentFrozen: boolean }
): ForwardResult {
  const p = patchSize
  const x = atStudentSize(tf.tensor4d(b.visiblePixels, [b.nVisible, p, p, 3]), m.student)
  const studentTraining = mode.training && !mode.studentFrozen
  const { features, stateUpdates } = m.student.forward(x, { training: studentTraining, freezeBnStats: cfg.freezeBnStats })
  const place = tf.tensor2d(b.placement, [b.windows * b.tokens, b.nVisible])
  const tokens = tf.reshape(tf.matMul(place, features), [b.windows, b.tokens, m.student.featureDim]) as tf.Tensor3D
  const tokenMask = tf.tensor3d(b.tokenMask, [b.windows, b.tokens, 1])
  const predictions = m.predictor.forward(tokens, tokenMask)
  const targets = tf.tensor3d(b.targets, [b.windows, b.tokens, teacherDim])
  let loss = maskedMean(perPatchLoss(predictions, targets, cfg.loss.kind), tf.tensor3d(b.lossWeight, [b.windows, b.tokens, 1]))
  if (m.kdHead.length === 2 && cfg.loss.visibleKdWeight > 0 && b.nVisible > 0) {
    const [w, bias] = m.kdHead.map((q) => q.variable) as [tf.Variable, tf.Variable]
    const kdPred = tf.add(tf.matMul(features, w as tf.Tensor2D), bias)
    const kdTargets = tf.tensor2d(b.visibleTargets, [b.nVisible, teacherDim])
    loss = tf.add(loss, tf.mul(tf.mean(perPatchLoss(kdPred, kdTargets, cfg.loss.kind)), cfg.loss.visibleKdWeight))
  }
  return { loss: loss as tf.Scalar, predictions, stateUpdates }
}
