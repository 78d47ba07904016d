// MCM+KD objective: teacher-feature normalisation and the per-patch losses (L1, smooth-L1, cosine).
import * as tf from '@tensorflow/tfjs'
import type { McmConfig } from '../../../src-shared/contracts/train'

/** Normalise one teacher vector (recorded in the run config as loss.teacherNorm). */
export function normaliseTeacher(v: Float32Array, how: McmConfig['loss']['teacherNorm']): Float32Array {
  // per-dimension standardisation needs the training slides' statistics: ml/mcm/targets.ts fits and applies it
  if (how === 'standardize') throw new Error("teacherNorm 'standardize' is fitted on the training slides (ml/mcm/targets.ts), not per vector")
  const out = new Float32Array(v.length)
  if (how === 'none') {
    out.set(v)
    return out
  }
  if (how === 'l2') {
    let ss = 0
    for (const x of v) ss += x * x
    const n = Math.sqrt(ss) || 1
    for (let i = 0; i < v.length; i++) out[i] = (v[i] ?? 0) / n
    return out
  }
  let mean = 0
  for (const x of v) mean += x
  mean /= v.length
  let variance = 0
  for (const x of v) variance += (x - mean) ** 2
  variance /= v.length
  const sd = Math.sqrt(variance + 1e-6)
  for (let i = 0; i < v.length; i++) out[i] = ((v[i] ?? 0) - mean) / sd
  return out
}

/** Per-row loss [..., D] → [...] for the configured kind. */
export function perPatchLoss(pred: tf.Tensor, target: tf.Tensor, kind: McmConfig['loss']['kind']): tf.Tensor {
  if (kind === 'l1') return tf.mean(tf.abs(tf.sub(pred, target)), -1)
  if (kind === 'smooth-l1') {
    const d = tf.abs(tf.sub(pred, target))
    // beta = 1: 0.5·d² where d < 1, d − 0.5 elsewhere; written with minimum (tf.where over tf.less has no gradient)
    const c = tf.minimum(d, 1)
    return tf.mean(tf.add(tf.mul(tf.square(c), 0.5), tf.sub(d, c)), -1)
  }
  const dot = tf.sum(tf.mul(pred, target), -1)
  const norms = tf.mul(tf.norm(tf.add(pred, 1e-12), 2, -1), tf.norm(target, 2, -1))
  return tf.sub(1, tf.div(dot, tf.add(norms, 1e-8)))
}

/** Weighted mean of per-patch losses; weights [...,1] (1 = counted). */
export function maskedMean(perPatch: tf.Tensor, weight: tf.Tensor): tf.Tensor {
  const w = tf.reshape(weight, perPatch.shape)
  return tf.div(tf.sum(tf.mul(perPatch, w)), tf.maximum(tf.sum(w), 1))
}

/** Plain numbers: mean |a−b| over one vector. */
export function l1(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0
  for (let i = 0; i < a.length; i++) s += Math.abs((a[i] ?? 0) - (b[i] ?? 0))
  return s / a.length
}

export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0, na = 0, nb = 0
  for (let i = 0; i < a.length; i++) {
    const x = a[i] ?? 0, y = b[i] ?? 0
    d += x * y
    na += x * x
    nb += y * y
  }
  return d / (Math.sqrt(na * nb) || 1)
}
