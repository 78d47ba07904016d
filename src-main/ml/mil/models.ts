// MIL aggregators in TensorFlow.js: gated-attention ABMIL (Ilse et al. 2018), mean-pool + linear, max-pool (instance floor).
// Weights are drawn from our own seeded PRNG (not tf.random*) so init is identical on every backend and run.
import * as tf from '@tensorflow/tfjs'
import { deriveSeed, mulberry32 } from '../../eval/rng'

export type AggregatorName = 'abmil' | 'mean' | 'max'
export const aggregatorNames: readonly AggregatorName[] = ['abmil', 'mean', 'max']

export interface MilConfig {
  aggregator: AggregatorName
  inputDim: number
  classes: number
  /** ABMIL: width of the patch embedding (fc D→H, ReLU) */
  hidden: number
  /** ABMIL: width of the gated attention branch (H→A, tanh ⊙ sigmoid, A→1) */
  attentionDim: number
}

export const defaultMilConfig = { hidden: 128, attentionDim: 64 } as const

export interface MilOutput {
  /** class logits, shape [C] */
  logits: tf.Tensor1D
  /** per-patch score, shape [N]: ABMIL attention weight (sums to 1); mean/max: instance logit of the last class minus the first */
  patchScores: tf.Tensor1D
}

export interface MilModel {
  config: MilConfig
  variables: tf.Variable[]
  /** x: one bag, [N, D] */
  forward(x: tf.Tensor2D): MilOutput
  parameterCount(): number
  dispose(): void
}

/** Glorot-uniform matrix from a seeded stream. */
function glorot(rows: number, cols: number, seed: number, name: string): tf.Variable {
  const rng = mulberry32(seed)
  const limit = Math.sqrt(6 / (rows + cols))
  const data = new Float32Array(rows * cols)
  for (let i = 0; i < data.length; i++) data[i] = (rng() * 2 - 1) * limit
  return variableFrom(tf.tensor2d(data, [rows, cols]), name)
}

/** tf.variable keeps its initial tensor alive as a separate handle: dispose it (else 1 leaked tensor per weight). */
function variableFrom(initial: tf.Tensor, name: string): tf.Variable {
  const v = tf.variable(initial, true, name)
  initial.dispose()
  return v
}

function zeros(n: number, name: string): tf.Variable {
  return variableFrom(tf.zeros([n]), name)
}

/** Unique variable names per model instance (tfjs keeps a global registry of names). */
let instance = 0

export function createMilModel(config: MilConfig, seed: number): MilModel {
  const { inputDim: d, classes: c, hidden: h, attentionDim: a } = config
  if (!Number.isInteger(d) || d <= 0) throw new Error(`MIL input dim must be a positive integer, got ${d}`)
  if (!Number.isInteger(c) || c < 2) throw new Error(`MIL needs at least 2 classes, got ${c}`)
  const tag = `mil${instance++}`
  const s = (part: string): number => deriveSeed(seed, 'init', part)
  let variables: tf.Variable[]
  let forward: (x: tf.Tensor2D) => MilOutput
  const scoreOf = (instanceLogits: tf.Tensor2D): tf.Tensor1D =>
    tf.sub(instanceLogits.slice([0, c - 1], [-1, 1]), instanceLogits.slice([0, 0], [-1, 1])).reshape([-1]) as tf.Tensor1D

  if (config.aggregator === 'abmil') {
    const w1 = glorot(d, h, s('w1'), `${tag}/fc/w`)
    const b1 = zeros(h, `${tag}/fc/b`)
    const wv = glorot(h, a, s('v'), `${tag}/att_v/w`)
    const bv = zeros(a, `${tag}/att_v/b`)
    const wu = glorot(h, a, s('u'), `${tag}/att_u/w`)
    const bu = zeros(a, `${tag}/att_u/b`)
    const ww = glorot(a, 1, s('w'), `${tag}/att_w/w`)
    const wc = glorot(h, c, s('cls'), `${tag}/cls/w`)
    const bc = zeros(c, `${tag}/cls/b`)
    variables = [w1, b1, wv, bv, wu, bu, ww, wc, bc]
    forward = (x) => {
      const hFeat = tf.relu(tf.add(tf.matMul(x, w1), b1)) as tf.Tensor2D // [N,H]
      const gate = tf.mul(tf.tanh(tf.add(tf.matMul(hFeat, wv), bv)), tf.sigmoid(tf.add(tf.matMul(hFeat, wu), bu))) as tf.Tensor2D // [N,A]
      const attention = tf.softmax(tf.matMul(gate, ww).reshape([1, -1])) as tf.Tensor2D // [1,N]
      const pooled = tf.matMul(attention, hFeat) // [1,H]
      const logits = tf.add(tf.matMul(pooled, wc), bc).reshape([c]) as tf.Tensor1D
      return { logits, patchScores: attention.reshape([-1]) as tf.Tensor1D }
    }
  } else {
    const w = glorot(d, c, s('cls'), `${tag}/cls/w`)
    const b = zeros(c, `${tag}/cls/b`)
    variables = [w, b]
    forward =
      config.aggregator === 'mean'
        ? (x) => {
            // mean of patch features then linear == mean of instance logits (linear map), so the instance logits double as scores
            const instanceLogits = tf.add(tf.matMul(x, w), b) as tf.Tensor2D
            return { logits: tf.mean(instanceLogits, 0) as tf.Tensor1D, patchScores: scoreOf(instanceLogits) }
          }
        : (x) => {
            const instanceLogits = tf.add(tf.matMul(x, w), b) as tf.Tensor2D
            return { logits: tf.max(instanceLogits, 0) as tf.Tensor1D, patchScores: scoreOf(instanceLogits) }
          }
  }
  return {
    config,
    variables,
    forward,
    parameterCount: () => variables.reduce((n, v) => n + v.size, 0),
    dispose: () => variables.forEach((v) => v.dispose())
  }
}
