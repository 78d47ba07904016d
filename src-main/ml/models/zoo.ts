// Model zoo registry: createModel(arch, opts) for every architecture, and the list of archs with their defaults.
// The MCM+KD context predictor (models/context-predictor.ts) is owned by the MCM engineer and is not a feature extractor.
import { createResnet } from './resnet'
import { createSmallCnn } from './smallcnn'
import { createVit } from './vit'
import type { ZooModel } from './manifest'

export interface CreateModelOptions {
  seed?: number
  /** smallcnn: channel width of the first stage; depth: number of stages (smallcnn) or blocks (vit) */
  width?: number
  depth?: number
  inputSize?: number
}

const builders = {
  smallcnn: (o: CreateModelOptions) => createSmallCnn(o),
  resnet18: (o: CreateModelOptions) => createResnet('resnet18', o),
  resnet34: (o: CreateModelOptions) => createResnet('resnet34', o),
  resnet50: (o: CreateModelOptions) => createResnet('resnet50', o),
  vit_small: (o: CreateModelOptions) => createVit('vit_small', o),
  vit_base: (o: CreateModelOptions) => createVit('vit_base', o)
} satisfies Record<string, (o: CreateModelOptions) => ZooModel>

export type ZooArch = keyof typeof builders
export const zooArchs = Object.keys(builders) as ZooArch[]

export function isZooArch(arch: string): arch is ZooArch {
  return Object.prototype.hasOwnProperty.call(builders, arch)
}

export function createModel(arch: string, opts: CreateModelOptions = {}): ZooModel {
  if (!isZooArch(arch)) throw new Error(`unknown architecture '${arch}': known are ${zooArchs.join(', ')}`)
  return builders[arch](opts)
}
