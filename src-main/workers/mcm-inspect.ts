// Job kind mcm.inspect: inspection data for one clicked window of a run (mask + per-cell cosine before/after).
// A job because it loads TF.js and the run's weights; it takes seconds, the viewer waits for its result.
import { z } from 'zod'
import type { JobKind } from '../jobs/job-context'
import { RunsRepo } from '../store/runs-repo'
import { inspectWindow } from '../ml/mcm/inspect-window'
import { openSource, studentFactory } from './mcm-common'

const Params = z.object({ runId: z.number().int().positive(), slide: z.string().min(1), col: z.number().int().min(0), row: z.number().int().min(0) })

export const mcmInspect: JobKind = {
  resumable: false,
  async run(ctx) {
    const p = Params.parse(ctx.params)
    const runs = new RunsRepo(ctx.db)
    const run = runs.get(p.runId)
    const source = await openSource(ctx, run)
    try {
      ctx.progress(0.1, `inspecting ${p.slide} at ${p.col},${p.row}`)
      const factory = studentFactory(ctx, run, source.patchSize)
      const window = await inspectWindow({
        cfg: run.config,
        source,
        student: run.student,
        ...(factory ? { studentFactory: factory } : {}),
        runDir: runs.runDir(p.runId),
        slide: p.slide,
        col: p.col,
        row: p.row
      })
      ctx.progress(1, 'done')
      return { runId: p.runId, window }
    } finally {
      await source.close()
    }
  }
}
