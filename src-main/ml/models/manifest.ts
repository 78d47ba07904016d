// What every zoo model declares about itself: architecture, input, normalisation, output, and the hash of its weights.
import type * as tf from '@tensorflow/tfjs'
import type { ParamStore } from '../nn/params'

export interface ModelManifest {
  arch: string
  /** square input edge in pixels the model was designed for */
  inputSize: number
  /** per-channel RGB normalisation applied to [0,1] pixels */
  mean: [number, number, number]
  std: [number, number, number]
  outputDim: number
  /** naming convention of the weights: torchvision / timm / tessera (own archs) */
  weightNaming: 'torchvision' | 'timm' | 'tessera'
  /** sha256 of the weights in torch layout (see weights.ts weightHash); null until computed */
  weightHash: string | null
  /** architecture options the model was built with (width, depth, …), for rebuilding it */
  options: Record<string, number | string | boolean>
}

/** A feature extractor: NHWC normalised images in, [N, outputDim] features out. */
export interface ZooModel {
  manifest: ModelManifest
  params: ParamStore
  apply(x: tf.Tensor4D, training: boolean): tf.Tensor2D
  dispose(): void
}

export const IMAGENET_MEAN: [number, number, number] = [0.485, 0.456, 0.406]
export const IMAGENET_STD: [number, number, number] = [0.229, 0.224, 0.225]
