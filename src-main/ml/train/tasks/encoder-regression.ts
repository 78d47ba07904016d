// Training task for benchmarks: a plain pre-LN transformer encoder (d, heads, FFN 4d, exact GELU) over sequences of
// feature vectors with an L1 loss to targets — the shape of the MCM context predictor's workload (no gather).
// Batch keys: x [N, T, d], target [N, T, d].
import * as tf from '@tensorflow/tfjs'
import { gelu, layerNorm, linear } from '../../nn/layers'
import { ParamStore } from '../../nn/params'
import type { TrainTask } from '../types'

export function createTask(options: Record<string, unknown>): TrainTask {
  const dim = Number(options['dim'] ?? 256), heads = Number(options['heads'] ?? 4), depth = Number(options['depth'] ?? 2)
  const s = new ParamStore(Number(options['seed'] ?? 0))
  const hd = dim / heads
  const blocks = Array.from({ length: depth }, (_, i) => ({
    n1: layerNorm(s, `blocks.${i}.norm1`, dim), qkv: linear(s, `blocks.${i}.attn.qkv`, dim, 3 * dim), proj: linear(s, `blocks.${i}.attn.proj`, dim, dim),
    n2: layerNorm(s, `blocks.${i}.norm2`, dim), fc1: linear(s, `blocks.${i}.mlp.fc1`, dim, 4 * dim), fc2: linear(s, `blocks.${i}.mlp.fc2`, 4 * dim, dim)
  }))
  const norm = layerNorm(s, 'norm', dim)
  return {
    trainable: s.trainableVariables(),
    buffers: [],
    loss: (b) => {
      const x = b['x'] as tf.Tensor3D, target = b['target'] as tf.Tensor
      const [n, t] = x.shape
      let h: tf.Tensor = x
      for (const blk of blocks) {
        const qkv = tf.transpose(tf.reshape(blk.qkv(blk.n1(h)), [n, t, 3, heads, hd]), [2, 0, 3, 1, 4])
        const [q, k, v] = tf.unstack(qkv) as [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D]
        const att = tf.softmax(tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(hd))) as tf.Tensor4D
        h = tf.add(h, blk.proj(tf.reshape(tf.transpose(tf.matMul(att, v), [0, 2, 1, 3]), [n, t, dim])))
        h = tf.add(h, blk.fc2(gelu(blk.fc1(blk.n2(h)))))
      }
      return tf.mean(tf.abs(tf.sub(norm(h), target))) as tf.Scalar
    },
    dispose: () => s.dispose()
  }
}
