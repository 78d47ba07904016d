// Diagnostic job: counts to N with a pause per step, saving its position so a killed run resumes.
import { z } from 'zod'
import { throwIfCancelled, type JobKind } from '../jobs/job-context'

const Params = z.object({ steps: z.number().int().min(1), stepMs: z.number().int().min(0) })

export const diagnosticCount: JobKind = {
  resumable: true,
  async run(ctx) {
    const { steps, stepMs } = Params.parse(ctx.params)
    const start = ctx.resume ? (ctx.readState<{ done: number }>()?.done ?? 0) : 0
    for (let i = start; i < steps; i++) {
      throwIfCancelled(ctx.signal)
      await new Promise((r) => setTimeout(r, stepMs))
      ctx.writeState({ done: i + 1 })
      ctx.progress((i + 1) / steps, `step ${i + 1}/${steps}`, { unit: 'steps' })
    }
    return { counted: steps, resumedFrom: start }
  }
}
