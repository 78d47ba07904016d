// The trainable set of one MCM+KD phase: student, context predictor and (when λ > 0) the visible-KD head.
// Built from the seed alone, so "before" weights can be rebuilt at any time and a resume restores onto the same shapes.
import type { McmConfig } from '../../../src-shared/contracts/train'
import { ContextPredictor } from '../models/context-predictor'
import { createStudent, type StudentFactory, type StudentModel } from './student'
import { Rng, STREAM } from './rng'
import { constParam, disposeParams, normalParam, readParams, writeParams, type NamedParam, type TensorBlob } from './params'

export interface McmModels {
  student: StudentModel
  predictor: ContextPredictor
  /** linear student-dim → teacher-dim head for the visible KD term (empty when λ = 0) */
  kdHead: NamedParam[]
  dispose(): void
}

/**
 * Default predictor width: half the student's feature dim, rounded up to a multiple of the heads, at least 2 per head.
 * A predictor as wide as the student (or wider) can model context on its own; a narrower one leans on the student's
 * features (docs/mcm-recipe.md).
 */
export function defaultPredictorWidth(studentDim: number, heads: number): number {
  return Math.max(2 * heads, Math.ceil(studentDim / 2 / heads) * heads)
}

export function createModels(cfg: McmConfig, studentName: string, patchSize: number, teacherDim: number, factory?: StudentFactory): McmModels {
  const student = factory ? factory() : createStudent(studentName, patchSize, cfg.seed)
  const width = cfg.predictor.width ?? defaultPredictorWidth(student.featureDim, cfg.predictor.heads)
  const predictor = new ContextPredictor({
    size: cfg.window.size,
    inDim: student.featureDim,
    width,
    depth: cfg.predictor.depth,
    heads: cfg.predictor.heads,
    mlpRatio: cfg.predictor.mlpRatio,
    outDim: teacherDim,
    seed: cfg.seed,
    inputNorm: cfg.predictor.inputNorm
  })
  const rng = Rng.keyed(cfg.seed, STREAM.init, 3)
  const kdHead =
    cfg.loss.visibleKdWeight > 0
      ? [normalParam('kd_head.weight', [student.featureDim, teacherDim], Math.sqrt(1 / student.featureDim), rng), constParam('kd_head.bias', [teacherDim], 0)]
      : []
  return {
    student,
    predictor,
    kdHead,
    dispose() {
      student.dispose()
      predictor.dispose()
      disposeParams(kdHead)
    }
  }
}

const groups = (m: McmModels): [string, NamedParam[]][] => [
  ['student', m.student.params],
  ['student_state', m.student.state],
  ['predictor', m.predictor.params],
  ['kd', m.kdHead]
]

/** Every weight and statistic of the models, read asynchronously (checkpoints). */
export async function exportModelTensors(m: McmModels): Promise<Record<string, TensorBlob>> {
  const out: Record<string, TensorBlob> = {}
  const read = await Promise.all(groups(m).map(([, params]) => readParams(params)))
  groups(m).forEach(([g], i) => { for (const [k, v] of Object.entries(read[i] as Record<string, TensorBlob>)) out[`${g}/${k}`] = v })
  return out
}

export function importModelTensors(m: McmModels, saved: Record<string, TensorBlob>, where: string): void {
  for (const [g, params] of groups(m)) {
    const sub: Record<string, TensorBlob> = {}
    for (const [k, v] of Object.entries(saved)) if (k.startsWith(`${g}/`)) sub[k.slice(g.length + 1)] = v
    writeParams(params, sub, where)
  }
}
