// Job kind train.mcm: runs one MCM+KD fine-tuning run (see ml/mcm/run-mcm.ts), recording the loss curve, checkpoints,
// evaluation, inspection data and the output model in the store. Resumable: each phase continues from its checkpoint.
import { JobCancelled, type JobKind } from '../jobs/job-context'
import { openSource, studentFactory } from './mcm-common'
import { RunsRepo } from '../store/runs-repo'
import { runMcm } from '../ml/mcm/run-mcm'
import { CancelledError } from '../ml/mcm/trainer'

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
      const factoryOrUndefined = studentFactory(ctx, run, source.patchSize, (m) => ctx.progress(0, m))
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
