// PyTorch parity: ResNet-18 and ViT-S with formula weights give the features torch computed (tests/fixtures/torch,
// produced by scripts/reference/torch_parity.py), in eval mode; ResNet-18 also in train mode (BN batch stats,
// running-stat update, gradients). Also: exported names/shapes match torchvision's resnet18 state_dict (strict load).
import { describe, expect, it, beforeAll } from 'vitest'
import * as tf from '@tensorflow/tfjs'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { useBackend } from '../../../src-main/ml/backend'
import { createModel } from '../../../src-main/ml/models/zoo'
import { exportStateDict, loadStateDict, tfToTorch, type StateDict } from '../../../src-main/ml/weights'
import type { ZooModel } from '../../../src-main/ml/models/manifest'
import { formulaTensor } from './formula-weights'

const fixtures = fileURLToPath(new URL('../../fixtures/torch/', import.meta.url))
interface Parity {
  resnet18_eval: number[]; resnet18_train: number[]; vit_small_eval: number[]
  resnet18_train_running_stats: Record<string, number[]>; resnet18_train_grads: Record<string, number[]>
  vit_small_param_names: { name: string; shape: number[] }[]
}
const parity = JSON.parse(readFileSync(fixtures + 'parity.json', 'utf8')) as Parity
const torchNames = (JSON.parse(readFileSync(fixtures + 'resnet18_names.json', 'utf8')) as { tensors: { name: string; shape: number[] }[] }).tensors

function formulaStateDict(model: ZooModel): StateDict {
  const sd: StateDict = new Map()
  for (const p of model.params.params) sd.set(p.name, formulaTensor(p.name, p.torchShape))
  return sd
}

/** The formula input (torch NCHW [2,3,224,224]) as an NHWC tensor. */
function formulaInput(): tf.Tensor4D {
  const t = formulaTensor('input', [2, 3, 224, 224])
  return tf.tidy(() => tf.transpose(tf.tensor4d(t.data, [2, 3, 224, 224]), [0, 2, 3, 1]))
}

/** max |a-b| / max |b|: the error relative to the output scale. */
function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length)
  let d = 0, s = 1e-12
  for (let i = 0; i < b.length; i++) { d = Math.max(d, Math.abs((a[i] as number) - (b[i] as number))); s = Math.max(s, Math.abs(b[i] as number)) }
  return d / s
}

describe('PyTorch parity (wasm backend)', () => {
  beforeAll(async () => { await useBackend('wasm') })

  it('ResNet-18 tensor names and shapes equal torchvision resnet18 (fc = Identity) state_dict, so strict=True loads', async () => {
    const model = createModel('resnet18')
    const ours = [...(await exportStateDict(model))].map(([name, t]) => ({ name, shape: t.shape }))
    model.dispose()
    expect(ours.map((t) => t.name).sort()).toEqual(torchNames.map((t) => t.name).sort())
    const shapes = new Map(torchNames.map((t) => [t.name, t.shape]))
    for (const t of ours) expect(t.shape, t.name).toEqual(shapes.get(t.name))
  })

  it('ViT-S tensor names and shapes equal the timm-layout reference', () => {
    const model = createModel('vit_small')
    const ours = model.params.params.map((p) => ({ name: p.name, shape: p.torchShape }))
    model.dispose()
    expect(ours.map((t) => t.name).sort()).toEqual(parity.vit_small_param_names.map((t) => t.name).sort())
    const shapes = new Map(parity.vit_small_param_names.map((t) => [t.name, t.shape]))
    for (const t of ours) expect(t.shape, t.name).toEqual(shapes.get(t.name))
  })

  it('ResNet-18 eval features match torch (≤ 1e-4 of output scale)', async () => {
    const model = createModel('resnet18')
    loadStateDict(model, formulaStateDict(model))
    const x = formulaInput()
    const y = model.apply(x, false)
    expect(relErr(await y.data(), parity.resnet18_eval)).toBeLessThan(1e-4)
    tf.dispose([x, y]); model.dispose()
  })

  it('ResNet-18 train mode: features, running stats and gradients match torch', async () => {
    const model = createModel('resnet18')
    loadStateDict(model, formulaStateDict(model))
    const x = formulaInput()
    const w = formulaTensor('loss_weight', [2, 512])
    const wT = tf.tensor2d(w.data, [2, 512])
    let feats: Float32Array = new Float32Array(0)
    const { grads, value } = tf.variableGrads(() => {
      const f = model.apply(x, true)
      feats = f.dataSync() as Float32Array
      return tf.sum(tf.mul(f, wT))
    }, model.params.trainableVariables())
    expect(relErr(feats, parity.resnet18_train)).toBeLessThan(1e-4)
    for (const [name, ref] of Object.entries(parity.resnet18_train_running_stats)) {
      const p = model.params.get(name)
      expect(relErr(p?.variable.dataSync() ?? [], ref), name).toBeLessThan(1e-4)
    }
    // deep gradients are sensitive to float32 summation order in BatchNorm reductions (see layers.ts sumNHW)
    for (const [name, ref] of Object.entries(parity.resnet18_train_grads)) {
      const p = model.params.get(name)
      if (!p) throw new Error(`no parameter ${name}`)
      const g = grads[p.variable.name] as tf.Tensor
      const torchLayout = tfToTorch({ shape: g.shape, data: g.dataSync() as Float32Array }, p.layout).data.slice(0, ref.length)
      expect(relErr(torchLayout, ref), name).toBeLessThan(1e-4)
    }
    tf.dispose([x, wT, value, ...Object.values(grads)]); model.dispose()
  })

  it('ViT-S eval features match torch (≤ 1e-4 of output scale)', async () => {
    const model = createModel('vit_small')
    loadStateDict(model, formulaStateDict(model))
    const x = formulaInput()
    const y = model.apply(x, false)
    expect(relErr(await y.data(), parity.vit_small_eval)).toBeLessThan(1e-4)
    tf.dispose([x, y]); model.dispose()
  })

  it('loading refuses wrong shapes and missing names, listing them', () => {
    const model = createModel('resnet18')
    const sd = formulaStateDict(model)
    sd.set('conv1.weight', formulaTensor('conv1.weight', [64, 3, 3, 3]))
    sd.delete('layer1.0.bn1.running_var')
    sd.set('extra.weight', formulaTensor('extra.weight', [1]))
    expect(() => loadStateDict(model, sd, { source: 'bad.safetensors' }))
      .toThrow(/bad\.safetensors: .*'conv1.weight' has shape \[64,3,3,3\].*missing 1 tensor\(s\): layer1\.0\.bn1\.running_var.*unexpected 1 tensor\(s\): extra\.weight/)
    model.dispose()
  })
})
