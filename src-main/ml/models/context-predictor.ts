// MCM context predictor: a small pre-LN transformer encoder over the s×s tokens of a context window.
// Visible tokens carry student features through an input projection (with bias) and, by default, a LayerNorm, so they
// sit on the scale of the learned mask token and 2-D positional embeddings added on (no tf.gather anywhere: gather has
// no gradient kernel on wasm); then a linear head to the teacher dim.
// Used only during fine-tuning; dropped from the exported student.
import * as tf from '@tensorflow/tfjs'
import { Rng, STREAM } from '../mcm/rng'
import { constParam, normalParam, type NamedParam } from '../mcm/params'

export interface ContextPredictorOptions {
  /** window side s (tokens = s²) */
  size: number
  inDim: number
  width: number
  depth: number
  heads: number
  mlpRatio: number
  outDim: number
  seed: number
  /** LayerNorm on the projected visible tokens (default true) */
  inputNorm?: boolean
}

const LN_EPS = 1e-5

export class ContextPredictor {
  readonly params: NamedParam[] = []
  private readonly byName = new Map<string, tf.Variable>()

  constructor(readonly opts: ContextPredictorOptions) {
    const { size, inDim, width, depth, heads, mlpRatio, outDim } = opts
    if (width % heads !== 0) throw new Error(`predictor width ${width} is not divisible by ${heads} heads`)
    const rng = Rng.keyed(opts.seed, STREAM.init, 2)
    const add = (p: NamedParam): void => {
      this.params.push(p)
      this.byName.set(p.name, p.variable)
    }
    const hidden = Math.round(width * mlpRatio)
    add(normalParam('in_proj.weight', [inDim, width], Math.sqrt(1 / inDim), rng))
    add(constParam('in_proj.bias', [width], 0))
    if (opts.inputNorm !== false) {
      add(constParam('in_norm.weight', [width], 1))
      add(constParam('in_norm.bias', [width], 0))
    }
    add(normalParam('mask_token', [1, 1, width], 0.02, rng, true, false))
    // learned 2-D positions: a row table plus a column table, expanded to s² by a constant 0/1 matrix (matMul, not gather)
    add(normalParam('pos_row', [size, width], 0.02, rng, true, false))
    add(normalParam('pos_col', [size, width], 0.02, rng, true, false))
    for (let l = 0; l < depth; l++) {
      add(constParam(`blocks.${l}.ln1.weight`, [width], 1))
      add(constParam(`blocks.${l}.ln1.bias`, [width], 0))
      add(normalParam(`blocks.${l}.attn.qkv.weight`, [width, 3 * width], Math.sqrt(1 / width), rng))
      add(constParam(`blocks.${l}.attn.qkv.bias`, [3 * width], 0))
      add(normalParam(`blocks.${l}.attn.proj.weight`, [width, width], Math.sqrt(1 / width) / Math.sqrt(2 * depth), rng))
      add(constParam(`blocks.${l}.attn.proj.bias`, [width], 0))
      add(constParam(`blocks.${l}.ln2.weight`, [width], 1))
      add(constParam(`blocks.${l}.ln2.bias`, [width], 0))
      add(normalParam(`blocks.${l}.mlp.fc1.weight`, [width, hidden], Math.sqrt(2 / width), rng))
      add(constParam(`blocks.${l}.mlp.fc1.bias`, [hidden], 0))
      add(normalParam(`blocks.${l}.mlp.fc2.weight`, [hidden, width], Math.sqrt(1 / hidden) / Math.sqrt(2 * depth), rng))
      add(constParam(`blocks.${l}.mlp.fc2.bias`, [width], 0))
    }
    add(constParam('norm.weight', [width], 1))
    add(constParam('norm.bias', [width], 0))
    add(normalParam('head.weight', [width, outDim], Math.sqrt(1 / width), rng))
    add(constParam('head.bias', [outDim], 0))
  }

  private v(name: string): tf.Variable {
    const v = this.byName.get(name)
    if (!v) throw new Error(`context predictor: no tensor ${name}`)
    return v
  }

  private layerNorm(x: tf.Tensor, prefix: string): tf.Tensor {
    const { mean, variance } = tf.moments(x, -1, true)
    const xn = tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, LN_EPS)))
    return tf.add(tf.mul(xn, this.v(`${prefix}.weight`)), this.v(`${prefix}.bias`))
  }

  private linear(x: tf.Tensor, prefix: string): tf.Tensor {
    const [b, t, d] = x.shape as [number, number, number]
    const w = this.v(`${prefix}.weight`) as tf.Tensor2D
    const y = tf.matMul(tf.reshape(x, [b * t, d]) as tf.Tensor2D, w)
    const out = this.byName.has(`${prefix}.bias`) ? tf.add(y, this.v(`${prefix}.bias`)) : y
    return tf.reshape(out, [b, t, w.shape[1]])
  }

  /** [s², width] positional table = rowOneHot·pos_row + colOneHot·pos_col (constant 0/1 matrices). */
  private positions(): tf.Tensor2D {
    const s = this.opts.size
    const rowSel = new Float32Array(s * s * s)
    const colSel = new Float32Array(s * s * s)
    for (let i = 0; i < s * s; i++) {
      rowSel[i * s + Math.floor(i / s)] = 1
      colSel[i * s + (i % s)] = 1
    }
    return tf.add(
      tf.matMul(tf.tensor2d(rowSel, [s * s, s]), this.v('pos_row') as tf.Tensor2D),
      tf.matMul(tf.tensor2d(colSel, [s * s, s]), this.v('pos_col') as tf.Tensor2D)
    ) as tf.Tensor2D
  }

  private attention(x: tf.Tensor, l: number): tf.Tensor {
    const [b, t, w] = x.shape as [number, number, number]
    const h = this.opts.heads
    const dh = w / h
    const qkv = this.linear(x, `blocks.${l}.attn.qkv`)
    // [b, t, 3, h, dh] → [3, b, h, t, dh]
    const split = tf.transpose(tf.reshape(qkv, [b, t, 3, h, dh]), [2, 0, 3, 1, 4])
    const [q, k, v] = tf.unstack(split, 0).map((z) => tf.reshape(z, [b * h, t, dh])) as [tf.Tensor3D, tf.Tensor3D, tf.Tensor3D]
    const scores = tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(dh))
    const att = tf.matMul(tf.softmax(scores), v)
    const merged = tf.reshape(tf.transpose(tf.reshape(att, [b, h, t, dh]), [0, 2, 1, 3]), [b, t, w])
    return this.linear(merged, `blocks.${l}.attn.proj`)
  }

  private gelu(x: tf.Tensor): tf.Tensor {
    // tanh form: erf has no wasm gradient path worth relying on
    const inner = tf.mul(tf.add(x, tf.mul(tf.pow(x, 3), 0.044715)), Math.sqrt(2 / Math.PI))
    return tf.mul(tf.mul(x, 0.5), tf.add(tf.tanh(inner), 1))
  }

  /**
   * tokens: [B, s², inDim] (student features at visible cells; values at masked cells are ignored),
   * masked: [B, s², 1] with 1 at masked cells → predictions [B, s², outDim].
   */
  forward(tokens: tf.Tensor3D, masked: tf.Tensor3D, project?: (t: tf.Tensor3D) => tf.Tensor): tf.Tensor3D {
    // `project` replaces the input projection (the predictor warm-up feeds teacher features through its own, ml/mcm/warmup.ts)
    let x: tf.Tensor = project ? project(tokens) : this.linear(tokens, 'in_proj')
    if (this.byName.has('in_norm.weight')) x = this.layerNorm(x, 'in_norm')
    // masked cells: the visible value is multiplied by 0, so nothing of a masked cell's content passes
    const keep = tf.sub(1, masked)
    x = tf.add(tf.mul(x, keep), tf.mul(masked, this.v('mask_token')))
    x = tf.add(x, this.positions())
    for (let l = 0; l < this.opts.depth; l++) {
      x = tf.add(x, this.attention(this.layerNorm(x, `blocks.${l}.ln1`), l))
      const m = this.linear(this.gelu(this.linear(this.layerNorm(x, `blocks.${l}.ln2`), `blocks.${l}.mlp.fc1`)), `blocks.${l}.mlp.fc2`)
      x = tf.add(x, m)
    }
    return this.linear(this.layerNorm(x, 'norm'), 'head') as tf.Tensor3D
  }

  dispose(): void {
    for (const p of this.params) p.variable.dispose()
  }
}
