// MCM+KD with a ViT student from the zoo: its timm names (blocks.N.attn.qkv, blocks.N.mlp.fc1, norm.*) are also the
// context predictor's names, so the optimizer must keep its state per owner (student / predictor) and name.
import * as tf from '@tensorflow/tfjs'
import { beforeAll, describe, expect, it } from 'vitest'
import { McmConfig, type McmConfigInput } from '../../../src-shared/contracts/train'
import { createVit } from '../../../src-main/ml/models/vit'
import { AdamW } from '../../../src-main/ml/mcm/optimizer'
import { SyntheticCohort } from '../../../src-main/ml/mcm/synthetic-cohort'
import { teacherTargets } from '../../../src-main/ml/mcm/targets'
import { McmTrainer } from '../../../src-main/ml/mcm/trainer'
import { trainingPlan } from '../../../src-main/ml/mcm/windows'
import { ZooStudent } from '../../../src-main/ml/mcm/zoo-student'
import { tempDir } from '../../helpers/tmp'

beforeAll(async () => {
  await tf.setBackend('cpu')
})

/** ViT-S layout and names at tiny dims: 16 px input, 8 px patches, 1 block of width 24. */
const vitStudent = (): ZooStudent =>
  new ZooStudent(createVit('vit_small', { seed: 3, inputSize: 16, patch: 8, dim: 24, depth: 1, heads: 2 }), 16, [0.5, 0.5, 0.5], [0.25, 0.25, 0.25])

function trainer(over: McmConfigInput): McmTrainer {
  const cfg = McmConfig.parse({
    seed: 1,
    backend: 'cpu',
    window: { size: 3 },
    batchWindows: 2,
    maxSteps: 2,
    checkpointEvery: 100,
    data: { source: 'synthetic', synthetic: { slides: 2, cols: 6, rows: 6, holes: 0, patchSize: 16 } },
    ...over
  })
  const source = new SyntheticCohort(cfg.data.synthetic)
  return new McmTrainer({
    cfg,
    source,
    targets: teacherTargets(source, cfg),
    plan: trainingPlan(source.slides(), cfg),
    phase: 'main',
    studentName: 'vit-s-tiny',
    studentFactory: vitStudent,
    checkpointDir: tempDir('vit-')
  })
}

describe('optimizer state keyed by owner and name', () => {
  it('two groups with the same parameter name keep separate moments (each update equals a one-group AdamW)', async () => {
    const o = McmConfig.parse({ optim: { weightDecay: 0 } }).optim
    const mk = (): { name: string; variable: tf.Variable; decay: boolean } => ({ name: 'norm.weight', variable: tf.variable(tf.ones([2])), decay: false })
    const [a, b, solo] = [mk(), mk(), mk()]
    const both = new AdamW([{ name: 'student', params: [a], lr: 0.1 }, { name: 'predictor', params: [b], lr: 0.1 }], o)
    const alone = new AdamW([{ name: 'student', params: [solo], lr: 0.1 }], o)
    for (let i = 0; i < 3; i++) {
      both.apply({ [a.variable.name]: tf.fill([2], 1), [b.variable.name]: tf.fill([2], -5 * (i + 1)) }, 1, 1)
      alone.apply({ [solo.variable.name]: tf.fill([2], 1) }, 1, 1)
    }
    expect(Array.from(a.variable.dataSync())).toEqual(Array.from(solo.variable.dataSync()))
    const keys = Object.keys((await both.exportState()).tensors)
    expect(keys).toContain('m/student/norm.weight')
    expect(keys).toContain('m/predictor/norm.weight')
  })

  it('a ViT-S-shaped student trains with a narrower predictor (same names, other shapes)', { timeout: 60_000 }, async () => {
    const t = trainer({ predictor: { width: 16, heads: 2, depth: 1 } })
    const studentNames = t.models.student.params.map((p) => p.name)
    const predictorNames = t.models.predictor.params.map((p) => p.name)
    const shared = studentNames.filter((n) => predictorNames.includes(n))
    expect(shared).toEqual(expect.arrayContaining(['blocks.0.attn.qkv.weight', 'blocks.0.mlp.fc1.weight', 'norm.weight']))
    const before = t.models.student.params.find((p) => p.name === 'blocks.0.attn.qkv.weight')?.variable.dataSync().slice()
    const r = await t.run()
    expect(r).toEqual({ steps: 2, skippedSteps: 0 })
    const after = t.models.student.params.find((p) => p.name === 'blocks.0.attn.qkv.weight')?.variable.dataSync()
    expect(after && before && after.some((v, i) => v !== before[i])).toBe(true)
    t.dispose()
  })

  it('a ViT-S-shaped student and a same-width predictor keep distinct moments for each shared name', { timeout: 60_000 }, async () => {
    const t = trainer({ predictor: { depth: 1 } })
    await t.run()
    const exported = (await (t as unknown as { optimizer: AdamW }).optimizer.exportState()).tensors
    const s = exported['m/student/blocks.0.attn.qkv.weight']
    const p = exported['m/predictor/blocks.0.attn.qkv.weight']
    expect(s && p).toBeTruthy()
    expect(Array.from(s?.data ?? []).some((v, i) => v !== p?.data[i])).toBe(true)
    t.dispose()
  })
})
