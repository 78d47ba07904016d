// One ResNet-18 train-mode step on the formula weights and a formula input, as the PyTorch parity fixtures took it
// (loss = sum(features · formula loss_weight)): shared by torch-parity.test.ts, parity-margin.ts and scripts/bn-parity.ts.
import * as tf from '@tensorflow/tfjs'
import { createModel } from '../../../src-main/ml/models/zoo'
import { loadStateDict, tfToTorch, type StateDict } from '../../../src-main/ml/weights'
import { formulaTensor } from './formula-weights'

export interface FormulaStep { feats: number[]; stats: Record<string, number[]>; grads: Record<string, number[]> }

/**
 * The step with the active backend and BatchNorm path: features, the named running statistics after it, and the named
 * gradients in torch layout, each reduced by `sample` (the fixtures store a prefix or a strided sample).
 */
export function formulaTrainStep(
  input: { name: string; shape: [number, number, number, number] },
  statNames: readonly string[],
  gradNames: readonly string[],
  sample: (name: string, torchData: Float32Array, torchShape: readonly number[]) => number[]
): FormulaStep {
  const model = createModel('resnet18')
  const sd: StateDict = new Map()
  for (const p of model.params.params) sd.set(p.name, formulaTensor(p.name, p.torchShape))
  loadStateDict(model, sd)
  const t = formulaTensor(input.name, input.shape)
  const x = tf.tidy(() => tf.transpose(tf.tensor4d(t.data, input.shape), [0, 2, 3, 1]))
  const wT = tf.tensor2d(formulaTensor('loss_weight', [input.shape[0], 512]).data, [input.shape[0], 512])
  let feats: number[] = []
  const { grads, value } = tf.variableGrads(() => {
    const f = model.apply(x, true)
    feats = Array.from(f.dataSync())
    return tf.sum(tf.mul(f, wT))
  }, model.params.trainableVariables())
  const out: FormulaStep = { feats, stats: {}, grads: {} }
  for (const name of statNames) out.stats[name] = Array.from(model.params.get(name)?.variable.dataSync() ?? [])
  for (const name of gradNames) {
    const p = model.params.get(name)
    if (!p) throw new Error(`no parameter ${name}`)
    const g = grads[p.variable.name] as tf.Tensor
    out.grads[name] = sample(name, tfToTorch({ shape: g.shape, data: g.dataSync() as Float32Array }, p.layout).data, p.torchShape)
  }
  tf.dispose([x, wT, value, ...Object.values(grads)]); model.dispose()
  return out
}
