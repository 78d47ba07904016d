// Job kind `eval.mil`: downstream MIL evaluation of one or more feature extractors (see ml/mil/run-evaluation.ts).
// Not resumable: a rerun with the same seed recomputes identical numbers (CV of ~100 slides takes minutes, not hours).
import { z } from 'zod'
import { EvalStartRequest } from '../../src-shared/contracts/eval'
import { JobCancelled, type JobKind } from '../jobs/job-context'
import { runEvaluation } from '../ml/mil/run-evaluation'

const num = z.number().nullable()
const Finetune = z.object({
  run_id: z.union([z.string(), z.number()]),
  masked_l1_before: num,
  masked_l1_after: num,
  masked_l1_control: num,
  masked_l1_visible_mean: num,
  teacher_probe_r2_before: num.optional(),
  teacher_probe_r2_after: num.optional(),
  main_steps: num.optional(),
  main_images: num.optional(),
  patch_kd: z.object({ steps: z.number(), images: z.number(), teacher_probe_r2_after: num, truth_probe_r2_after: num.optional() }).nullable().optional(),
  truth_probe: z.object({ channel: z.string(), r2_before: z.number(), r2_after: z.number(), fit_patches: z.number(), test_patches: z.number() }).nullable().optional(),
  preregistration_sha256: z.string().nullable().optional(),
  preregistration_file: z.string().nullable().optional(),
  epochs: num,
  backend: z.string().nullable(),
  train_images_per_s: num,
  metric: z.string().optional(),
  loss_curve: z.array(z.object({ step: z.number(), loss: z.number() })).optional()
})

/** What eval.start stores in the job: the request, resolved (absolute out folder, project name, fine-tune summary). */
export const EvalJobParams = EvalStartRequest.omit({ finetuneRunId: true, preregistration: true }).extend({
  out: z.string().min(1),
  projectName: z.string(),
  finetune: Finetune.nullable()
})
export type EvalJobParams = z.input<typeof EvalJobParams>

export const evalMil: JobKind = {
  resumable: false,
  async run(ctx) {
    const p = EvalJobParams.parse(ctx.params)
    try {
      const r = await runEvaluation(
        ctx.db,
        {
          ...p,
          featuresDir: p.featuresDir ?? null,
          roles: p.roles
        },
        { signal: ctx.signal, progress: (f, msg) => ctx.progress(f, msg) }
      )
      return {
        outDir: r.outDir,
        files: r.files,
        table: r.table,
        models: r.report.models.map((m) => ({ name: m.name, role: m.role, auc_mean: m.auc_mean, auc_ci: m.auc_ci })),
        comparisons: r.report.comparisons
      }
    } catch (e) {
      if (ctx.signal.aborted) throw new JobCancelled()
      throw e
    }
  }
}
