// ViT-S/16 and ViT-B/16 in timm's layout and names (patch_embed.proj, cls_token, pos_embed, blocks.N.{norm1, attn.qkv,
// attn.proj, norm2, mlp.fc1, mlp.fc2}, norm; head dropped): features = final-norm CLS token (timm global_pool='token').
// Pre-LN blocks, LayerNorm eps 1e-6, exact GELU, qkv with bias. No gather: the CLS token is concatenated.
import * as tf from '@tensorflow/tfjs'
import { gelu, layerNorm, linear } from '../nn/layers'
import { ParamStore } from '../nn/params'
import { IMAGENET_MEAN, IMAGENET_STD, type ZooModel } from './manifest'

export type VitArch = 'vit_small' | 'vit_base'
const sizes: Record<VitArch, { dim: number; depth: number; heads: number }> = {
  vit_small: { dim: 384, depth: 12, heads: 6 },
  vit_base: { dim: 768, depth: 12, heads: 12 }
}

export interface VitOptions { seed?: number; inputSize?: number; patch?: number; depth?: number; dim?: number; heads?: number }

export function createVit(arch: VitArch, opts: VitOptions = {}): ZooModel {
  const dim = opts.dim ?? sizes[arch].dim, depth = opts.depth ?? sizes[arch].depth, heads = opts.heads ?? sizes[arch].heads
  const size = opts.inputSize ?? 224, patch = opts.patch ?? 16
  if (size % patch !== 0) throw new Error(`${arch}: input size ${size} is not a multiple of the patch size ${patch}`)
  if (dim % heads !== 0) throw new Error(`${arch}: dim ${dim} is not divisible by ${heads} heads`)
  const grid = size / patch, tokens = grid * grid + 1, headDim = dim / heads
  const s = new ParamStore(opts.seed ?? 0)
  const projW = s.add('patch_embed.proj.weight', [patch, patch, 3, dim], 'conv', { kind: 'truncnormal', std: 0.02 })
  const projB = s.add('patch_embed.proj.bias', [dim], 'plain', { kind: 'zeros' })
  const cls = s.add('cls_token', [1, 1, dim], 'plain', { kind: 'truncnormal', std: 1e-6 })
  const pos = s.add('pos_embed', [1, tokens, dim], 'plain', { kind: 'truncnormal', std: 0.02 })
  const blocks = Array.from({ length: depth }, (_, i) => {
    const p = `blocks.${i}`
    return {
      norm1: layerNorm(s, `${p}.norm1`, dim), qkv: linear(s, `${p}.attn.qkv`, dim, 3 * dim), proj: linear(s, `${p}.attn.proj`, dim, dim),
      norm2: layerNorm(s, `${p}.norm2`, dim), fc1: linear(s, `${p}.mlp.fc1`, dim, 4 * dim), fc2: linear(s, `${p}.mlp.fc2`, 4 * dim, dim)
    }
  })
  const norm = layerNorm(s, 'norm', dim)
  const scale = 1 / Math.sqrt(headDim)

  function attention(x: tf.Tensor, qkv: (t: tf.Tensor) => tf.Tensor, proj: (t: tf.Tensor) => tf.Tensor): tf.Tensor {
    const n = x.shape[0] as number
    const q3 = tf.transpose(tf.reshape(qkv(x), [n, tokens, 3, heads, headDim]), [2, 0, 3, 1, 4]) // [3,N,H,T,hd]
    const [q, k, v] = tf.unstack(q3) as [tf.Tensor, tf.Tensor, tf.Tensor]
    const attn = tf.softmax(tf.mul(tf.matMul(q as tf.Tensor4D, k as tf.Tensor4D, false, true), scale))
    const o = tf.transpose(tf.matMul(attn as tf.Tensor4D, v as tf.Tensor4D), [0, 2, 1, 3]) // [N,T,H,hd]
    return proj(tf.reshape(o, [n, tokens, dim]))
  }

  return {
    manifest: { arch, inputSize: size, mean: IMAGENET_MEAN, std: IMAGENET_STD, outputDim: dim, weightNaming: 'timm', weightHash: null,
      options: { dim, depth, heads, patch } },
    params: s,
    apply(x) {
      const n = x.shape[0]
      if (x.shape[1] !== size || x.shape[2] !== size) throw new Error(`${arch}: expects ${size}x${size} input, got ${x.shape[1]}x${x.shape[2]}`)
      const patches = tf.add(tf.conv2d(x, projW as tf.Tensor4D, patch, 'valid'), projB) // [N,g,g,D]
      let h: tf.Tensor = tf.concat([tf.tile(cls, [n, 1, 1]), tf.reshape(patches, [n, grid * grid, dim])], 1)
      h = tf.add(h, pos)
      for (const b of blocks) {
        h = tf.add(h, attention(b.norm1(h), b.qkv, b.proj))
        h = tf.add(h, b.fc2(gelu(b.fc1(b.norm2(h)))))
      }
      const out = norm(h)
      return tf.reshape(tf.slice(out, [0, 0, 0], [n, 1, dim]), [n, dim]) as tf.Tensor2D
    },
    dispose: () => s.dispose()
  }
}
