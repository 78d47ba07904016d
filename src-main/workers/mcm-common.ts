// Shared by the MCM job kinds (train.mcm, mcm.inspect): open a run's data source and its student.
import type { JobContext } from '../jobs/job-context'
import { ModelsRepo } from '../store/models-repo'
import { parseManifest } from '../models/manifest'
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
export function studentFactory(ctx: JobContext, run: McmRun, patchSize: number): StudentFactory | undefined {
  if (isBuiltinStudent(run.student)) return undefined
  const rec = new ModelsRepo(ctx.db).resolve(run.student)
  const m = parseManifest(rec.manifest, `student "${rec.name}"`)
  if (m.weightsFormat !== 'safetensors' || !rec.weightsPath) {
    throw new Error(`student "${rec.name}" is ${m.weightsFormat} (${m.arch}): only zoo models with safetensors weights can be fine-tuned (ONNX graphs are inference-only)`)
  }
  if (m.arch.startsWith('vit') && m.inputSize !== patchSize) {
    throw new Error(`student "${rec.name}" (${m.arch}) takes ${m.inputSize}px patches but the grid makes ${patchSize}px ones: set config grid.patchSize = ${m.inputSize}`)
  }
  const weightsFile = rec.weightsPath
  // convolutional students take the grid's patch size as input
  return () => openZooStudent({ name: rec.name, arch: m.arch, inputSize: patchSize, mean: m.mean, std: m.std, options: m.options, weightsFile }, run.config.seed)
}

