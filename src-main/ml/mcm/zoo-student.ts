// Adapts a zoo feature extractor (ml/models: smallcnn, resnet, vit with safetensors weights) to the MCM StudentModel.
// Quirk: the zoo's BatchNorm updates its running statistics inside the forward pass; the adapter snapshots them,
// lets the forward run, hands the new values to the trainer as state updates and restores the snapshot, so a discarded
// (non-finite) step leaves BN untouched, and freezeBnStats runs the forward in inference mode (running statistics).
import * as tf from '@tensorflow/tfjs'
import { createModel } from '../models/zoo'
import type { ZooModel } from '../models/manifest'
import { loadSafetensorsFile, saveSafetensorsFile } from '../weights'
import type { NamedParam } from './params'
import type { StateUpdate, StudentForwardMode, StudentModel } from './student'

/** What the registry says about a registered zoo student (subset of models/manifest.ts ModelManifest). */
export interface RegisteredZooModel {
  name: string
  arch: string
  inputSize: number
  mean: readonly number[]
  std: readonly number[]
  options: Record<string, number | string | boolean>
  weightsFile: string
}

export class ZooStudent implements StudentModel {
  readonly kind: string
  readonly params: NamedParam[]
  readonly state: NamedParam[]
  readonly featureDim: number

  constructor(
    readonly model: ZooModel,
    readonly inputSize: number,
    readonly mean: readonly number[],
    readonly std: readonly number[]
  ) {
    this.kind = model.manifest.arch
    this.featureDim = model.manifest.outputDim
    const all = model.params.params
    this.params = all.filter((p) => p.trainable).map((p) => ({ name: p.name, variable: p.variable, decay: p.variable.rank >= 2 }))
    this.state = all.filter((p) => !p.trainable).map((p) => ({ name: p.name, variable: p.variable, decay: false }))
  }

  forward(x: tf.Tensor4D, mode: StudentForwardMode): { features: tf.Tensor2D; stateUpdates: StateUpdate[] } {
    if (!mode.training || mode.freezeBnStats) return { features: this.model.apply(x, false), stateUpdates: [] }
    const snapshot = this.state.map((s) => tf.keep(tf.clone(s.variable)))
    const features = this.model.apply(x, true)
    const stateUpdates = this.state.map((s, i) => {
      const value = tf.keep(tf.clone(s.variable))
      s.variable.assign(snapshot[i] as tf.Tensor)
      return { variable: s.variable, value }
    })
    for (const t of snapshot) t.dispose()
    return { features, stateUpdates }
  }

  zooIdentity(): { arch: string; weightNaming: string; options: Record<string, number | string | boolean> } {
    const m = this.model.manifest
    return { arch: m.arch, weightNaming: m.weightNaming, options: { ...m.options } }
  }

  /** Torch-named, torch-layout safetensors via the zoo's writer; returns the layout-independent weight hash. */
  exportSafetensors(file: string): Promise<string> {
    return saveSafetensorsFile(this.model, file)
  }

  dispose(): void {
    this.model.dispose()
  }
}

export function openZooStudent(m: RegisteredZooModel, seed: number): ZooStudent {
  const o = m.options
  const model = createModel(m.arch, {
    seed,
    inputSize: m.inputSize,
    ...(typeof o['width'] === 'number' ? { width: o['width'] } : {}),
    ...(typeof o['depth'] === 'number' ? { depth: o['depth'] } : {})
  })
  try {
    loadSafetensorsFile(model, m.weightsFile)
  } catch (e) {
    model.dispose()
    throw new Error(`student "${m.name}" (${m.arch}): ${(e as Error).message}`)
  }
  return new ZooStudent(model, m.inputSize, m.mean, m.std)
}
