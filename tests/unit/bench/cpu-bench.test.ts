// The CPU bench measures the MCM+KD step the demo really runs (student, patch size, run config), and PyTorch's side of
// each MCM case builds the same models (trainable parameter counts of student and predictor, compared exactly).
import * as tf from '@tensorflow/tfjs'
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { beforeAll, describe, expect, it } from 'vitest'
import { McmConfig } from '../../../src-shared/contracts/train'
import { demoMcmConfig } from '../../../src-main/demo/demo-mcm-config'
import { DEFAULT_MODELS_SEED, demoModelsRecipe } from '../../../src-main/ml/demo/demo-models'
import { createModels } from '../../../src-main/ml/mcm/models'
import { ZooStudent } from '../../../src-main/ml/mcm/zoo-student'
import { createModel } from '../../../src-main/ml/models/zoo'
import { featureDim, mcmCases, mcmRunConfig, mcmShape, visiblePerStep, type McmCase, type McmShape } from '../../../src-main/bench/cpu-workloads'
import { formatReport } from '../../../src-main/bench/harness'

beforeAll(async () => {
  await tf.setBackend('cpu')
})

const python = '/usr/bin/python3'
const script = fileURLToPath(new URL('../../../scripts/reference/bench_torch.py', import.meta.url))
const hasTorch = existsSync(python) && (() => { try { execFileSync(python, ['-c', 'import torch, torchvision'], { stdio: 'ignore' }); return true } catch { return false } })()

function shapeOf(c: McmCase): McmShape {
  const cfg = mcmRunConfig(c)
  const net = createModel(c.student.arch, { seed: 1, inputSize: c.patch, ...(c.student.width ? { width: c.student.width } : {}), ...(c.student.depth ? { depth: c.student.depth } : {}) })
  const models = createModels(cfg, c.student.arch, c.patch, featureDim(c.teacher), () => new ZooStudent(net, c.patch, [0.5, 0.5, 0.5], [0.2, 0.2, 0.2]))
  try {
    return mcmShape(c, cfg, models, featureDim(c.teacher))
  } finally {
    models.dispose()
  }
}

describe('cpu bench: MCM+KD cases', () => {
  const [demo, smoke] = mcmCases(true) as [McmCase, McmCase]

  it('the demo case is the demo: its student, teacher, patch size and run config (in --quick too)', () => {
    const recipe = demoModelsRecipe(DEFAULT_MODELS_SEED, 'full')
    expect(demo.key).toMatch(/^demo_/)
    expect(demo.student.arch).toBe(recipe.student.arch)
    expect(demo.teacher.arch).toBe(recipe.teacher.arch)
    expect(demo.patch).toBe(64)
    const run = mcmRunConfig(demo), real = McmConfig.parse(demoMcmConfig(1, {}, 'x'))
    for (const k of ['window', 'mask', 'batchWindows', 'freezeBnStats', 'optim', 'loss', 'predictor', 'augment'] as const) expect(run[k]).toEqual(real[k])
    expect(run.freezeBnStats).toBe(false)
    expect(visiblePerStep(run)).toBe(64)
    expect(run.data.synthetic.teacherDim).toBe(512)
    expect(smoke.key).toMatch(/^smoke_smallcnn_/)
    expect(smoke.student).toMatchObject(demoModelsRecipe(DEFAULT_MODELS_SEED, 'smoke').student)
    expect(mcmCases(false).map((c) => c.key)).toContain('resnet18_224_2win')
  })

  it('featureDim agrees with the zoo for every net a case names', () => {
    const nets = [demo.student, demo.teacher, smoke.student, smoke.teacher]
    for (const n of nets) {
      const m = createModel(n.arch, { seed: 1, ...(n.width ? { width: n.width } : {}), ...(n.depth ? { depth: n.depth } : {}) })
      expect(featureDim(n), n.arch).toBe(m.manifest.outputDim)
      m.dispose()
    }
  })

  it('hands PyTorch the shape of the models Tessera built (default predictor: half the student width)', () => {
    const s = shapeOf(smoke)
    expect(s).toMatchObject({ student: 'smallcnn', student_dim: 64, patch: 64, window: 4, windows: 8, masked_per_window: 8, teacher_dim: 256, freeze_bn: false })
    expect(s.predictor).toEqual({ width: 32, depth: 2, heads: 2, mlp_ratio: 2, input_norm: true })
    expect(s.parameters.student).toBeGreaterThan(20_000)
  })

  it.skipIf(!hasTorch)('PyTorch builds the same student and predictor (parameter counts) for every MCM+KD case', () => {
    const shapes = mcmCases(false).map(shapeOf)
    // iterations 0: PyTorch builds the models and counts, no step
    const out = JSON.parse(execFileSync(python, [script, JSON.stringify({ threads: [1], mcm: shapes.map((s) => [s, 0]) })], { encoding: 'utf8' })) as { results: { key: string; parameters: unknown }[] }
    expect(out.results.map((r) => r.key)).toEqual(shapes.map((s) => s.key))
    shapes.forEach((s, i) => expect(out.results[i]?.parameters, s.key).toEqual(s.parameters))
  })
})

describe('bench report', () => {
  it('prints a list of strings as table lines', () => {
    const text = formatReport({ machine: { cores: 2, cpuModel: 'x', memoryGiB: 1, node: '20', platform: 'linux' }, quick: true, startedAt: '', results: {
      cpu: { ok: true, seconds: 1, peakRssMiB: 10, figures: { table: ['a | b', 'c | d'], n: 3 } } } })
    expect(text.split('\n')).toEqual(expect.arrayContaining(['  table:', '    a | b', '    c | d']))
  })
})
