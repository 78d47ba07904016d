// Handlers of labels.* and eval.*: label import, starting MIL evaluations, reading their report and heatmaps.
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { basename, dirname, join, resolve } from 'node:path'
import { tmpdir } from 'node:os'
import { createHash } from 'node:crypto'
import type { Handlers } from '../dispatch'
import type { Services } from '../../core/services'
import type { EvalReport, FinetuneSummary, HeatmapData } from '../../../src-shared/contracts/eval'
import { ApiError } from '../errors'
import { applyLabelImport, labelledSlides, LabelsCsvError, planLabelImport } from '../../eval/slide-labels'
import { readHeatmapH5 } from '../../eval/heatmaps'
import { readRegularFile, SafeOpenError } from '../../core/safe-open'
import { replaceRefusal, ReplaceRefusedError } from '../../core/export-replace'
import { evalExportFiles } from '../../eval/export-dir'

type EvalMethods = 'labels.import' | 'labels.list' | 'eval.start' | 'eval.report' | 'eval.heatmap'

const finite = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null)

/** Evaluation outputs default to <data dir>/evals/<project>-<time>. */
function defaultOut(dbPath: string, project: string): string {
  const base = dbPath === ':memory:' ? tmpdir() : dirname(dbPath)
  return join(base, 'evals', `${project.replace(/[^A-Za-z0-9._-]+/g, '_')}-${new Date().toISOString().replace(/[:.]/g, '-')}`)
}

/** Summary of an MCM+KD run for report.json (`finetune`): held-out masked-patch loss before/after/control and the loss curve. */
export function finetuneSummary(s: Services, runId: number): FinetuneSummary {
  const run = s.runs.get(runId)
  const evaluation = s.runs.evaluation(runId)
  const job = s.jobsRepo.get(run.jobId)
  const result = job.result ?? {}
  return {
    run_id: runId,
    masked_l1_before: evaluation?.before ?? null,
    masked_l1_after: evaluation?.after ?? null,
    masked_l1_control: evaluation?.control ?? null,
    masked_l1_visible_mean: evaluation?.visibleMeanBaseline ?? null,
    teacher_probe_r2_before: evaluation?.teacherProbe?.before ?? null,
    teacher_probe_r2_after: evaluation?.teacherProbe?.after ?? null,
    main_steps: evaluation?.budget?.steps ?? null,
    main_images: evaluation?.budget?.images ?? null,
    patch_kd: evaluation?.patchKd
      ? {
          steps: evaluation.patchKd.steps,
          images: evaluation.patchKd.images,
          teacher_probe_r2_after: evaluation.patchKd.teacherProbeAfter,
          ...(evaluation.patchKd.truthProbeAfter !== undefined ? { truth_probe_r2_after: evaluation.patchKd.truthProbeAfter } : {})
        }
      : null,
    truth_probe: evaluation?.truthProbe
      ? { channel: evaluation.truthProbe.channel, r2_before: evaluation.truthProbe.before, r2_after: evaluation.truthProbe.after, fit_patches: evaluation.truthProbe.fitPatches, test_patches: evaluation.truthProbe.testPatches }
      : null,
    epochs: finite(run.config.epochs),
    // what the run used (recorded since backend selection: name and adapter), else its configured setting
    backend: evaluation?.backend ? `${evaluation.backend.name} (${evaluation.backend.adapter})` : typeof run.config.backend === 'string' ? run.config.backend : null,
    // the trainer does not report a throughput figure in its job result yet: null unless it does
    train_images_per_s: finite(result['trainImagesPerS']) ?? finite(result['train_images_per_s']),
    // run metrics name themselves ("masked-patch L1 (…)") since the loss kinds; older runs said only "l1"
    ...(evaluation ? { metric: `held-out ${evaluation.metric.startsWith('masked-patch') ? '' : 'masked-patch '}${evaluation.metric} (${evaluation.maskedPatches} patches, ${evaluation.windows} windows)` } : {}),
    loss_curve: s.runs
      .lossCurve(runId)
      .filter((p) => p.phase === 'main' && Number.isFinite(p.loss))
      .map((p) => ({ step: p.step, loss: p.loss }))
  }
}

/** SHA-256 and absolute path of a pre-registration file (a small regular file, read off the door's thread, capped). */
async function preregistrationOf(file: string): Promise<{ preregistration_sha256: string; preregistration_file: string }> {
  const path = resolve(file)
  try {
    const bytes = await readRegularFile(path, { maxBytes: 1024 * 1024, what: 'pre-registration' })
    return { preregistration_sha256: createHash('sha256').update(bytes).digest('hex'), preregistration_file: path }
  } catch (e) {
    if (e instanceof SafeOpenError) throw new ApiError('bad_request', e.message)
    throw e
  }
}

function finishedEvalDir(s: Services, jobId: number): string {
  const job = s.jobsRepo.get(jobId)
  if (job.kind !== 'eval.mil') throw new ApiError('bad_request', `job ${jobId} is a ${job.kind} job, not an evaluation (eval.mil)`)
  if (job.status !== 'succeeded') throw new ApiError('conflict', `evaluation job ${jobId} is ${job.status}${job.error ? `: ${job.error}` : ''}`)
  const out = job.result?.['outDir']
  if (typeof out !== 'string' || !existsSync(join(out, 'report.json'))) throw new ApiError('not_found', `evaluation job ${jobId}: its report folder ${String(out)} is gone`)
  return out
}

/** Labels CSVs are small; anything larger than this is not one. */
export const MAX_LABELS_CSV_BYTES = 16 * 1024 * 1024

/** Read a labels CSV named by path: regular file only, capped, off the event loop; describe failures, never quote. */
async function readLabelsCsv(csvPath: string): Promise<string> {
  let bytes: Buffer
  try {
    bytes = await readRegularFile(csvPath, { maxBytes: MAX_LABELS_CSV_BYTES, what: 'labels CSV' })
  } catch (e) {
    if (e instanceof SafeOpenError) throw new ApiError(e.problem === 'not_found' ? 'not_found' : 'bad_request', e.message)
    throw e
  }
  if (bytes.includes(0)) throw new ApiError('bad_request', `${csvPath}: not a text CSV (it contains NUL bytes)`)
  return bytes.toString('utf8')
}

export function evalHandlers(s: Services): Pick<Handlers, EvalMethods> {
  return {
    'labels.import': async ({ projectId, csvText, csvPath, fileName, dryRun }) => {
      s.projects.get(projectId)
      if ((csvText === undefined) === (csvPath === undefined)) throw new ApiError('bad_request', 'give exactly one of csvText or csvPath')
      let text = csvText ?? ''
      const name = fileName ?? (csvPath ? basename(csvPath) : 'labels.csv')
      if (csvPath !== undefined) text = await readLabelsCsv(csvPath)
      try {
        // a file named by path is unknown content: its errors describe it, never quote a header that is not ours
        const plan = planLabelImport(s.db, projectId, text, name, { quoteUnknownHeader: csvPath === undefined })
        const imported = dryRun ? 0 : applyLabelImport(s.db, plan)
        return { dryRun, imported, task: plan.task, classes: plan.classes, unlabelledSlides: plan.unlabelledSlides }
      } catch (e) {
        if (e instanceof LabelsCsvError) throw new ApiError('bad_request', e.message, { problems: e.problems })
        if (e instanceof Error && /row \d+|is empty/.test(e.message)) throw new ApiError('bad_request', e.message)
        throw e
      }
    },
    'labels.list': ({ projectId }) => {
      s.projects.get(projectId)
      return labelledSlides(s.db, projectId).map((r) => ({ slideId: r.slideId, name: r.name, label: r.label, patientId: r.patientId, fold: r.fold }))
    },
    'eval.start': async (req) => {
      const project = s.projects.get(req.projectId)
      const { finetuneRunId, preregistration, ...rest } = req
      if (preregistration !== undefined && finetuneRunId === undefined) throw new ApiError('bad_request', 'preregistration needs finetuneRunId (it is recorded in the fine-tuning section of report.json)')
      const out = req.out ? resolve(req.out) : defaultOut(s.dbPath, project.name)
      if (existsSync(out) && readdirSync(out).length > 0 && !req.force) {
        throw new ApiError('conflict', `${out} already exists: choose another output folder or pass force (--force) to replace it`)
      }
      // refuse before the job starts (the job checks again when it swaps the folder in)
      const refusal = req.force ? replaceRefusal(out, evalExportFiles) : null
      if (refusal) throw new ApiError('conflict', new ReplaceRefusedError(out, refusal).message)
      if (labelledSlides(s.db, project.id).length === 0) {
        throw new ApiError('conflict', `project "${project.name}" has no labelled slides: import labels first (tessera labels import <csv> --project ${project.name})`)
      }
      const finetune = finetuneRunId === undefined ? null : { ...finetuneSummary(s, finetuneRunId), ...(preregistration ? await preregistrationOf(preregistration) : {}) }
      return s.jobs.start('eval.mil', project.id, {
        ...rest,
        out,
        featuresDir: req.featuresDir ? resolve(req.featuresDir) : undefined,
        projectName: project.name,
        finetune
      })
    },
    'eval.report': ({ jobId }) => JSON.parse(readFileSync(join(finishedEvalDir(s, jobId), 'report.json'), 'utf8')) as EvalReport,
    'eval.heatmap': async ({ jobId, model, slideId }): Promise<HeatmapData> => {
      const dir = finishedEvalDir(s, jobId)
      const indexFile = join(dir, 'heatmaps', 'index.json')
      if (!existsSync(indexFile)) throw new ApiError('not_found', `evaluation job ${jobId} was run without heatmaps`)
      const index = JSON.parse(readFileSync(indexFile, 'utf8')) as { model: string; slide_id: number; h5: string }[]
      const entry = index.find((e) => e.model === model && e.slide_id === slideId)
      if (!entry) throw new ApiError('not_found', `evaluation job ${jobId} has no heatmap for model "${model}" and slide ${slideId}`)
      const report = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as EvalReport
      const h = await readHeatmapH5(join(dir, entry.h5))
      return { model, slideId, coords: h.coords, scores: h.scores, patchSizeLevel0: h.patchSizeLevel0, probabilities: h.probabilities, classes: report.classes }
    }
  }
}
