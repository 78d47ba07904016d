// PyTorch parity: ResNet-18 and ViT-S with formula weights give the features torch computed (tests/fixtures/torch,
// produced by scripts/reference/torch_parity.py), in eval mode; ResNet-18 also in train mode (BN batch stats,
// running-stat update, gradients; against torch float32 and a float64 run of the same step, torch_parity_f64.py).
// Also: exported names/shapes match torchvision's resnet18 state_dict (strict load).
import { describe, expect, it, beforeAll } from 'vitest'
import * as tf from '@tensorflow/tfjs'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { useBackend } from '../../../src-main/ml/backend'
import { itWithNativeAddon } from '../../helpers/native'
import { fusedBatchNormAvailable } from '../../../src-main/ml/nn/batch-norm-kernels'
import { createModel } from '../../../src-main/ml/models/zoo'
import { exportStateDict, loadStateDict, type StateDict } from '../../../src-main/ml/weights'
import type { ZooModel } from '../../../src-main/ml/models/manifest'
import { formulaTensor } from './formula-weights'
import { formulaTrainStep, type FormulaStep } from './formula-train-step'

const fixtures = fileURLToPath(new URL('../../fixtures/torch/', import.meta.url))
interface Parity {
  resnet18_eval: number[]; resnet18_train: number[]; vit_small_eval: number[]
  resnet18_train_running_stats: Record<string, number[]>; resnet18_train_grads: Record<string, number[]>
  // the same train step in torch float64 (scripts/reference/torch_parity_f64.py): the truth both are measured against
  resnet18_train_f64: number[]; resnet18_train_running_stats_f64: Record<string, number[]>; resnet18_train_grads_f64: Record<string, number[]>
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

type TrainResult = FormulaStep

/** One train-mode step on the formula fixture: features, running stats after it, and the fixture's gradients of
 * sum(features · w) in torch layout (layer1.0.conv1.weight: its first 512 values). */
function trainStep(): TrainResult {
  const refs = parity.resnet18_train_grads
  return formulaTrainStep({ name: 'input', shape: [2, 3, 224, 224] }, Object.keys(parity.resnet18_train_running_stats), Object.keys(refs),
    (name, data) => Array.from(data.slice(0, refs[name]?.length ?? 0)))
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

  // The composite BatchNorm (TESSERA_FUSED_BATCHNORM=0; the fused kernels are the default where the addon is built).
  // All of this fixture's checks, but its early-layer gradients (bn1.weight, layer1.0.conv1.weight) sit upstream of
  // activations within every float32 path's noise of a ReLU kink: the composite path lands on torch's side here, and on
  // the other side on 3 of 4 other formula inputs (docs/cpu-profile.md §3c). Accuracy proper: torch-parity-margin.test.ts.
  it('ResNet-18 train mode, composite BatchNorm: features, running stats and gradients match torch float32 and the float64 truth', async () => {
    const before = process.env['TESSERA_FUSED_BATCHNORM']
    process.env['TESSERA_FUSED_BATCHNORM'] = '0'
    let got: TrainResult
    try {
      expect(fusedBatchNormAvailable()).toBe(false)
      got = trainStep()
    } finally {
      if (before === undefined) delete process.env['TESSERA_FUSED_BATCHNORM']
      else process.env['TESSERA_FUSED_BATCHNORM'] = before
    }
    expect(relErr(got.feats, parity.resnet18_train)).toBeLessThan(1e-4)
    expect(relErr(got.feats, parity.resnet18_train_f64)).toBeLessThan(1e-4)
    for (const [name, ref] of Object.entries(parity.resnet18_train_running_stats)) {
      expect(relErr(got.stats[name] ?? [], ref), name).toBeLessThan(1e-4)
      expect(relErr(got.stats[name] ?? [], parity.resnet18_train_running_stats_f64[name] ?? []), `${name} (f64)`).toBeLessThan(1e-4)
    }
    // deep gradients are sensitive to float32 summation order in BatchNorm reductions (see layers.ts sumNHW)
    for (const [name, ref] of Object.entries(parity.resnet18_train_grads)) {
      expect(relErr(got.grads[name] ?? [], ref), name).toBeLessThan(1e-4)
      expect(relErr(got.grads[name] ?? [], parity.resnet18_train_grads_f64[name] ?? []), `${name} (f64)`).toBeLessThan(1e-4)
    }
  })

  // The fused BatchNorm kernels (the default with the addon) on the same fixture. bn1.weight and
  // layer1.0.conv1.weight are not compared: they sit upstream of one layer3.1.bn1 activation whose float64 value is
  // +2.3e-6 (ReLU kink) while every float32 path's error on that layer reaches 1e-5 (torch's own: 1.2e-5); the fused
  // path's rounding lands it at −1.0e-6, the ReLU drops its gradient and those two gradients move 1 % (docs/cpu-profile.md
  // §3c): a coin flip, not accuracy; everything downstream of that activation is checked here, and the kink-aware
  // fixture (torch-parity-margin.test.ts) checks both paths where no flip can decide the result.
  itWithNativeAddon('ResNet-18 train mode with the fused BatchNorm: features, running stats and layer4 gradient match torch', async () => {
    const before = process.env['TESSERA_FUSED_BATCHNORM']
    process.env['TESSERA_FUSED_BATCHNORM'] = '1'
    try {
      expect(fusedBatchNormAvailable()).toBe(true)
      const got = trainStep()
      expect(relErr(got.feats, parity.resnet18_train)).toBeLessThan(1e-4)
      expect(relErr(got.feats, parity.resnet18_train_f64)).toBeLessThan(1e-4)
      for (const [name, ref] of Object.entries(parity.resnet18_train_running_stats)) {
        expect(relErr(got.stats[name] ?? [], ref), name).toBeLessThan(1e-4)
        expect(relErr(got.stats[name] ?? [], parity.resnet18_train_running_stats_f64[name] ?? []), `${name} (f64)`).toBeLessThan(1e-4)
      }
      const name = 'layer4.1.bn2.weight'
      expect(relErr(got.grads[name] ?? [], parity.resnet18_train_grads[name] ?? []), name).toBeLessThan(1e-4)
      expect(relErr(got.grads[name] ?? [], parity.resnet18_train_grads_f64[name] ?? []), `${name} (f64)`).toBeLessThan(1e-4)
    } finally {
      if (before === undefined) delete process.env['TESSERA_FUSED_BATCHNORM']
      else process.env['TESSERA_FUSED_BATCHNORM'] = before
    }
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
