// Named parameter store for zoo models: every tensor carries its PyTorch name and layout, so weights map 1:1 to
// torchvision/timm state dicts. tfjs keeps NHWC/HWIO (conv) and [in, out] (linear); torch uses OIHW and [out, in].
import * as tf from '@tensorflow/tfjs'

/** How a tensor's tfjs layout relates to PyTorch's: conv HWIO↔OIHW, linear [in,out]↔[out,in], plain identical. */
export type TorchLayout = 'plain' | 'conv' | 'linear'

export interface Param {
  name: string
  variable: tf.Variable
  layout: TorchLayout
  /** false for buffers (BatchNorm running stats, counters): saved and synced, never given gradients */
  trainable: boolean
  torchShape: number[]
}

export function torchShapeOf(tfShape: number[], layout: TorchLayout): number[] {
  if (layout === 'conv') { const [h, w, i, o] = tfShape as [number, number, number, number]; return [o, i, h, w] }
  if (layout === 'linear') { const [i, o] = tfShape as [number, number]; return [o, i] }
  return [...tfShape]
}

/** Deterministic init: seeds derive from the parameter index, so two instances built alike are bit-identical. */
export class ParamStore {
  readonly params: Param[] = []
  private readonly byName = new Map<string, Param>()
  constructor(private readonly seed = 0) {}

  add(name: string, shape: number[], layout: TorchLayout, init: Init, trainable = true): tf.Variable {
    if (this.byName.has(name)) throw new Error(`duplicate parameter name '${name}'`)
    const value = tf.tidy(() => makeInit(init, shape, this.seed * 100_003 + this.params.length + 1))
    const variable = tf.variable(value, trainable, `${name}#${Math.random().toString(36).slice(2, 8)}`)
    value.dispose()
    const p: Param = { name, variable, layout, trainable, torchShape: torchShapeOf(shape, layout) }
    this.params.push(p)
    this.byName.set(name, p)
    return variable
  }

  get(name: string): Param | undefined {
    return this.byName.get(name)
  }

  trainableVariables(): tf.Variable[] {
    return this.params.filter((p) => p.trainable).map((p) => p.variable)
  }

  count(trainableOnly = false): number {
    return this.params.filter((p) => p.trainable || !trainableOnly).reduce((n, p) => n + p.variable.size, 0)
  }

  dispose(): void {
    for (const p of this.params) p.variable.dispose()
  }
}

export type Init =
  | { kind: 'zeros' }
  | { kind: 'ones' }
  | { kind: 'normal'; std: number }
  | { kind: 'truncnormal'; std: number }
  | { kind: 'uniform'; bound: number }

function makeInit(init: Init, shape: number[], seed: number): tf.Tensor {
  switch (init.kind) {
    case 'zeros': return tf.zeros(shape)
    case 'ones': return tf.ones(shape)
    case 'normal': return tf.randomNormal(shape, 0, init.std, 'float32', seed)
    case 'truncnormal': return tf.truncatedNormal(shape, 0, init.std, 'float32', seed)
    case 'uniform': return tf.randomUniform(shape, -init.bound, init.bound, 'float32', seed)
  }
}

/** Kaiming-normal, fan_out, ReLU gain (torchvision ResNet init for convs). */
export function kaimingFanOut(k: number, outChannels: number): Init {
  return { kind: 'normal', std: Math.sqrt(2 / (k * k * outChannels)) }
}
