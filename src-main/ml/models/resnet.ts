// ResNet-18/34/50 in torchvision's layout and weight names (conv1, bn1, layerL.B.convK, downsample.0/1; fc dropped):
// features = global average pool of layer4 (512-d for 18/34, 2048-d for 50). Bottleneck strides on conv2 (v1.5).
import * as tf from '@tensorflow/tfjs'
import { batchNorm2d, conv2d, type Forward4D } from '../nn/layers'
import { ParamStore } from '../nn/params'
import { IMAGENET_MEAN, IMAGENET_STD, type ZooModel } from './manifest'

export type ResnetArch = 'resnet18' | 'resnet34' | 'resnet50'
const layout: Record<ResnetArch, { blocks: number[]; bottleneck: boolean }> = {
  resnet18: { blocks: [2, 2, 2, 2], bottleneck: false },
  resnet34: { blocks: [3, 4, 6, 3], bottleneck: false },
  resnet50: { blocks: [3, 4, 6, 3], bottleneck: true }
}

export function basicBlock(s: ParamStore, p: string, inC: number, c: number, stride: number): Forward4D {
  const c1 = conv2d(s, `${p}.conv1`, inC, c, 3, stride, 1), b1 = batchNorm2d(s, `${p}.bn1`, c)
  const c2 = conv2d(s, `${p}.conv2`, c, c, 3, 1, 1), b2 = batchNorm2d(s, `${p}.bn2`, c)
  const down = stride !== 1 || inC !== c ? [conv2d(s, `${p}.downsample.0`, inC, c, 1, stride), batchNorm2d(s, `${p}.downsample.1`, c)] as const : null
  return (x, t) => {
    const y = b2(c2(tf.relu(b1(c1(x, t), t)), t), t)
    const id = down ? down[1](down[0](x, t), t) : x
    return tf.relu(tf.add(y, id)) as tf.Tensor4D
  }
}

function bottleneck(s: ParamStore, p: string, inC: number, c: number, stride: number): Forward4D {
  const out = c * 4
  const c1 = conv2d(s, `${p}.conv1`, inC, c, 1), b1 = batchNorm2d(s, `${p}.bn1`, c)
  const c2 = conv2d(s, `${p}.conv2`, c, c, 3, stride, 1), b2 = batchNorm2d(s, `${p}.bn2`, c)
  const c3 = conv2d(s, `${p}.conv3`, c, out, 1), b3 = batchNorm2d(s, `${p}.bn3`, out)
  const down = stride !== 1 || inC !== out ? [conv2d(s, `${p}.downsample.0`, inC, out, 1, stride), batchNorm2d(s, `${p}.downsample.1`, out)] as const : null
  return (x, t) => {
    const y = b3(c3(tf.relu(b2(c2(tf.relu(b1(c1(x, t), t)), t), t)), t), t)
    const id = down ? down[1](down[0](x, t), t) : x
    return tf.relu(tf.add(y, id)) as tf.Tensor4D
  }
}

export function createResnet(arch: ResnetArch, opts: { seed?: number; inputSize?: number } = {}): ZooModel {
  const { blocks, bottleneck: useBottleneck } = layout[arch]
  const s = new ParamStore(opts.seed ?? 0)
  const stem = conv2d(s, 'conv1', 3, 64, 7, 2, 3), stemBn = batchNorm2d(s, 'bn1', 64)
  const stages: Forward4D[] = []
  let inC = 64
  blocks.forEach((n, li) => {
    const c = 64 * 2 ** li
    for (let b = 0; b < n; b++) {
      const stride = b === 0 && li > 0 ? 2 : 1
      const make = useBottleneck ? bottleneck : basicBlock
      stages.push(make(s, `layer${li + 1}.${b}`, inC, c, stride))
      inC = useBottleneck ? c * 4 : c
    }
  })
  return {
    // any input size works (global pooling); the manifest records the one the weights are meant for (default 224)
    manifest: { arch, inputSize: opts.inputSize ?? 224, mean: IMAGENET_MEAN, std: IMAGENET_STD, outputDim: inC, weightNaming: 'torchvision', weightHash: null, options: {} },
    params: s,
    apply(x, training) {
      let y = tf.relu(stemBn(stem(x, training), training)) as tf.Tensor4D
      // maxpool 3x3/2 pad 1; inputs are ≥ 0 after ReLU, so padding semantics (zero vs -inf) cannot matter
      y = tf.maxPool(y, 3, 2, 1)
      for (const stage of stages) y = stage(y, training)
      return tf.mean(y, [1, 2]) as tf.Tensor2D
    },
    dispose: () => s.dispose()
  }
}
