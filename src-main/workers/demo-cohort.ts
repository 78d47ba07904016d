// Job kind 'demo.cohort': generate (or reuse) the synthetic demo cohort in a folder, with per-slide progress.
import { z } from 'zod'
import { generateCohort } from '../cohort/generate'
import type { JobKind } from '../jobs/job-context'

const Params = z.object({
  outDir: z.string().min(1),
  seed: z.number().int().min(0).max(0xffffffff).optional(),
  slides: z.number().int().min(4).max(200).optional(),
  force: z.boolean().optional()
})

export const demoCohort: JobKind = {
  // regeneration is deterministic and the manifest is written last, so a rerun after a kill simply redoes the work
  resumable: false,
  async run(ctx) {
    const p = Params.parse(ctx.params)
    const r = await generateCohort({
      outDir: p.outDir,
      ...(p.seed !== undefined ? { seed: p.seed } : {}),
      ...(p.slides !== undefined ? { slides: p.slides } : {}),
      ...(p.force !== undefined ? { force: p.force } : {}),
      signal: ctx.signal,
      onProgress: (done, _total, message) => ctx.progress(done, message, { unit: 'slides' })
    })
    return {
      dir: r.dir,
      labelsCsv: r.labelsCsvPath,
      recipeHash: r.manifest.recipeHash,
      slides: r.manifest.slides.length,
      reused: r.reused,
      seconds: r.seconds
    }
  }
}
