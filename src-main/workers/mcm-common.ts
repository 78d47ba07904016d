// Shared by the MCM job kinds (train.mcm, mcm.inspect): open a run's data source and its student.
import type { JobContext } from '../jobs/job-context'
import { ModelsRepo } from '../store/models-repo'
import { parseManifest, type ModelManifest } from '../models/manifest'
import type { McmDataSource } from '../ml/mcm/data-source'
import { ProjectDataSource } from '../ml/mcm/project-source'
import { SyntheticCohort } from '../ml/mcm/synthetic-cohort'
import { openZooStudent } from '../ml/mcm/zoo-student'
import { isBuiltinStudent, type StudentFactory } from '../ml/mcm/student'
import type { McmRun } from '../../src-shared/contracts/train'

export async function openSource(ctx: JobContext, run: McmRun): Promise<McmDataSource> {
  if (run.config.data.source === 'synthetic') return new SyntheticCohort(run.config.data.synthetic)
  return ProjectDataSource.open(ctx.db, run.projectId, run.teacher, run.config, ctx.signal)
}

/** Built-in students by name; anything else must be a registered zoo model (safetensors). */
export function studentFactory(ctx: JobContext, run: McmRun, patchSize: number, notice?: (message: string) => void): StudentFactory | undefined {
  if (isBuiltinStudent(run.student)) return undefined
  const rec = new ModelsRepo(ctx.db).resolve(run.student)
  const m = parseManifest(rec.manifest, `student "${rec.name}"`)
  if (m.weightsFormat !== 'safetensors' || !rec.weightsPath) {
    throw new Error(`student "${rec.name}" is ${m.weightsFormat} (${m.arch}): only zoo models with safetensors weights can be fine-tuned (ONNX graphs are inference-only)`)
  }
  return manifestStudentFactory(rec.name, m, rec.weightsPath, patchSize, run.config.seed, notice)
}

/** The student factory of a zoo model from its manifest and weights file (a registered model, or a bundle on a node). */
export function manifestStudentFactory(name: string, m: ModelManifest, weightsFile: string, patchSize: number, seed: number, notice?: (message: string) => void): StudentFactory {
  // every student runs at its recorded input size, the one its baseline features were extracted at: grid patches are
  // resized to it (ml/mcm/student.ts atStudentSize), so the fine-tuned copy and the baseline see the same pixels per
  // patch. Resizing a 64 px grid patch to 224 costs ~12× the compute: import the student with --input-size to match
  if (m.inputSize !== patchSize) {
    notice?.(`student "${name}" runs at its input size ${m.inputSize} px; the grid's ${patchSize} px patches are resized to it (as in feature extraction)`)
  }
  return () => openZooStudent({ name, arch: m.arch, inputSize: m.inputSize, mean: m.mean, std: m.std, options: m.options, weightsFile }, seed)
}

