// smallcnn: a tiny configurable CNN for tests and demos (conv3x3/2 + BN + ReLU stages, global average pool).
// Names: stages.N.conv.weight, stages.N.bn.* — own naming ('tessera'), exported to safetensors like the others.
import * as tf from '@tensorflow/tfjs'
import { batchNorm2d, conv2d, type Forward4D } from '../nn/layers'
import { ParamStore } from '../nn/params'
import { IMAGENET_MEAN, IMAGENET_STD, type ZooModel } from './manifest'

export interface SmallCnnOptions { width?: number; depth?: number; inputSize?: number; seed?: number }

export function createSmallCnn(opts: SmallCnnOptions = {}): ZooModel {
  const width = opts.width ?? 16, depth = opts.depth ?? 3
  const s = new ParamStore(opts.seed ?? 0)
  const stages: { conv: Forward4D; bn: Forward4D }[] = []
  let inC = 3
  for (let i = 0; i < depth; i++) {
    const c = width * 2 ** Math.min(i, 3)
    stages.push({ conv: conv2d(s, `stages.${i}.conv`, inC, c, 3, 2, 1), bn: batchNorm2d(s, `stages.${i}.bn`, c) })
    inC = c
  }
  return {
    manifest: { arch: 'smallcnn', inputSize: opts.inputSize ?? 64, mean: IMAGENET_MEAN, std: IMAGENET_STD, outputDim: inC,
      weightNaming: 'tessera', weightHash: null, options: { width, depth } },
    params: s,
    apply(x, training) {
      let y = x
      for (const st of stages) y = tf.relu(st.bn(st.conv(y, training), training))
      return tf.mean(y, [1, 2]) as tf.Tensor2D
    },
    dispose: () => s.dispose()
  }
}
