// Job kind train.mcm: runs one MCM+KD fine-tuning run (see ml/mcm/run-mcm.ts), recording the loss curve, checkpoints,
// evaluation, inspection data and the output model in the store. Resumable: each phase continues from its checkpoint.
import { JobCancelled, type JobContext, type JobKind } from '../jobs/job-context'
import { ModelsRepo } from '../store/models-repo'
import { parseManifest } from '../models/manifest'
import { ProjectDataSource } from '../ml/mcm/project-source'
import { openZooStudent } from '../ml/mcm/zoo-student'
import { isBuiltinStudent, type StudentFactory } from '../ml/mcm/student'
import { RunsRepo } from '../store/runs-repo'
import type { McmDataSource } from '../ml/mcm/data-source'
import { SyntheticCohort } from '../ml/mcm/synthetic-cohort'
import { runMcm } from '../ml/mcm/run-mcm'
import { CancelledError } from '../ml/mcm/trainer'
import type { McmRun } from '../../src-shared/contracts/train'


async function openSource(ctx: JobContext, run: McmRun): Promise<McmDataSource> {
  if (run.config.data.source === 'synthetic') return new SyntheticCohort(run.config.data.synthetic)
  return ProjectDataSource.open(ctx.db, run.projectId, run.teacher, run.config, ctx.signal)
}

/** Built-in students by name; anything else must be a registered zoo model (safetensors). */
function studentFactory(ctx: JobContext, run: McmRun, patchSize: number): StudentFactory | undefined {
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

export const trainMcm: JobKind = {
  resumable: true,
  async run(ctx) {
    // the run row is written in the same tick as the job (api/handlers/train.ts), before this process starts
    const runs = new RunsRepo(ctx.db)
    const run = runs.byJob(ctx.jobId)
    const runId = run.id
    const runDir = run.runDir
    const source = await openSource(ctx, run)
    let lastFraction = 0
    try {
      const factoryOrUndefined = studentFactory(ctx, run, source.patchSize)
      const out = await runMcm({
        cfg: run.config,
        source,
        student: run.student,
        ...(factoryOrUndefined ? { studentFactory: factoryOrUndefined } : {}),
        ...(run.config.data.source === 'project' ? { mpp: run.config.grid.targetMpp } : {}),
        teacher: run.teacher,
        runDir,
        signal: ctx.signal,
        hooks: {
          progress: (fraction, message, metrics) => {
            lastFraction = fraction
            const rate = metrics?.['patchesPerSecond']
            ctx.progress(fraction, message, { ...(rate !== undefined ? { rate, unit: 'patches' } : {}), ...(metrics ? { metrics } : {}) })
          },
          loss: (p) => {
            runs.addLoss(runId, p)
          },
          checkpoint: (c) => {
            runs.addCheckpoint(runId, { phase: c.phase, step: c.step, path: c.dir, manifestSha256: c.manifestSha256 })
            ctx.writeState({ phase: c.phase, step: c.step })
          },
          // notices (resume point, skipped non-finite steps, corrupt checkpoints) go to the job message
          notice: (m) => ctx.progress(lastFraction, m)
        }
      })
      const outputModel = `${run.student}-mcm-run${runId}`
      runs.registerModel({ name: outputModel, manifest: { ...out.exported.manifest, name: outputModel }, weightsPath: out.exported.weightsPath, weightsHash: out.exported.weightsHash })
      runs.finish(runId, { evaluation: out.evaluation, inspection: out.inspection, outputModel })
      return { runId, outputModel, evaluation: out.evaluation, steps: out.steps, weightsPath: out.exported.weightsPath }
    } catch (e) {
      if (e instanceof CancelledError) throw new JobCancelled()
      throw e
    } finally {
      await source.close()
    }
  }
}
