// `tessera cluster import DIR` for a fine-tuning work folder: verify that the finished run belongs to this project
// (same project, slides, grids, cached teacher features, teacher and student as exported) and that its files are
// intact (model weights and checkpoint manifests against their recorded hashes), then copy run/ next to the database
// and record it as if it had run here: a finished train.mcm job, the run row with its loss curve, checkpoints,
// evaluation and inspection, and the fine-tuned model registered as <student>-mcm-run<id>. Every check runs before the
// first write; a refusal leaves the database as it was.
import { cpSync, existsSync, readFileSync, renameSync, rmSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { createHash } from 'node:crypto'
import type { Services } from '../core/services'
import { runsRoot } from '../core/run-dirs'
import { sha256File } from '../models/atomic-files'
import { encoderKeyOf } from '../models/manifest'
import { SlidesRepo } from '../store/slides-repo'
import { FeatureCache } from '../store/feature-cache'
import { getOrComputeGrid } from '../tissue/grid-store'
import type { SlideOpener } from '../slides/service/handles'
import { McmConfig, type McmEvaluation } from '../../src-shared/contracts/train'
import { ClusterImportRefused } from './import'
import { SUBMIT_FILE, shellQuote } from './work-folder'
import { RESULT_FILE, RUN_DIR, readLog, readTrainManifest, readTrainState, type TrainResult } from './train-work'

export interface TrainImportResult {
  dir: string
  workId: string
  runId: number
  jobId: number
  outputModel: string
  runDir: string
  lossPoints: number
  checkpoints: number
  evaluation: McmEvaluation
}

type ImportServices = Pick<Services, 'db' | 'dbPath' | 'projects' | 'runs' | 'jobsRepo' | 'models'>

const f32Sha = (v: Float32Array): string => createHash('sha256').update(new Uint8Array(v.buffer, v.byteOffset, v.byteLength)).digest('hex')

export async function importTrainFolder(s: ImportServices, open: SlideOpener, dir: string, log?: (line: string) => void): Promise<TrainImportResult> {
  const work = readTrainManifest(dir)
  const refuse = (problem: string): never => {
    throw new ClusterImportRefused(dir, problem, 'the project')
  }
  const cfg = McmConfig.parse(work.config)
  const runDir = join(dir, RUN_DIR)
  const state = readTrainState(dir)
  const resume = `cd ${shellQuote(dir)} && sbatch ${SUBMIT_FILE}`
  if (!state) refuse(`the job never started (no ${RUN_DIR}/state.json); submit it with: ${resume}`)
  if (state?.workId !== work.workId) refuse(`${RUN_DIR}/state.json belongs to work ${state?.workId}, this folder is work ${work.workId}`)
  if (state?.status !== 'complete' || !existsSync(join(runDir, RESULT_FILE))) {
    const cps = readLog(dir).checkpoints
    const last = cps.length ? `, last checkpoint ${cps[cps.length - 1]?.phase} step ${cps[cps.length - 1]?.step}` : ''
    refuse(`the run is not finished (${state?.status}${state?.error ? `: ${state.error}` : ''}, started ${state?.starts} time(s) on ${state?.host}${last}); re-submit to resume it from its last checkpoint: ${resume}`)
  }
  const result = JSON.parse(readFileSync(join(runDir, RESULT_FILE), 'utf8')) as TrainResult
  if (result.workId !== work.workId) refuse(`${RUN_DIR}/${RESULT_FILE} belongs to work ${result.workId}, not ${work.workId}`)

  // provenance: project, teacher, student
  let project
  try {
    project = s.projects.get(work.project.id)
  } catch {
    project = null
  }
  if (!project || project.name !== work.project.name) refuse(`exported from project "${work.project.name}" (id ${work.project.id}); this database ${project ? `has project ${project.id} named "${project.name}"` : `has no project ${work.project.id}`}`)
  const projectId = work.project.id
  let teacherOk = false
  try {
    const t = s.models.manifestOf(s.models.resolve(work.teacher.name))
    teacherOk = t.weightSha256 === work.teacher.weightSha256 && encoderKeyOf(t) === work.teacher.encoderKey
  } catch {
    teacherOk = false
  }
  if (!teacherOk) refuse(`the run's teacher "${work.teacher.name}" (weights ${work.teacher.weightSha256.slice(0, 12)}…) is not a model of this database with the same weights and preprocessing`)
  if (work.student.weightSha256) {
    let sha: string | null = null
    try {
      sha = s.models.manifestOf(s.models.resolve(work.student.name)).weightSha256
    } catch {
      sha = null
    }
    if (sha !== work.student.weightSha256) refuse(`the run's student "${work.student.name}" (weights ${work.student.weightSha256.slice(0, 12)}…) is not registered here with the same weights`)
  }
  // slides: each exported slide is a slide of the project, on the same grid, with the same cached teacher features
  const slidesRepo = new SlidesRepo(s.db)
  const cache = new FeatureCache(s.db)
  for (const w of work.slides) {
    const slide = slidesRepo.listByChecksum(w.contentKey).find((x) => x.projectId === projectId)
    if (!slide) refuse(`slide "${w.name}" (content key ${w.contentKey.slice(0, 16)}…) is not in project "${work.project.name}" any more`)
    const g = await getOrComputeGrid(s.db, slide as NonNullable<typeof slide>, cfg.grid, { open })
    if (g.info.key !== w.grid.key || g.patches.length !== w.patches) refuse(`slide "${w.name}": the project's grid is ${g.info.key} (${g.patches.length} patches), the run used ${w.grid.key} (${w.patches} patches); the mpp override or tissue settings changed since the export`)
    const set = cache.read({ slideChecksum: w.contentKey, gridKey: w.grid.key, encoderKey: work.teacher.encoderKey, dtype: cfg.data.teacherDtype })
    if (!set || f32Sha(set.vectors) !== w.teacherSha256) refuse(`slide "${w.name}": the cached teacher features ${set ? 'differ from' : 'are no longer'} the ones the run trained on`)
  }
  // files: the fine-tuned weights and every checkpoint generation still on disk
  const weights = join(runDir, result.weightsFile)
  if (!existsSync(weights) || (await sha256File(weights)) !== result.weightsHash) refuse(`${weights}: missing, or not the weights the run recorded (SHA-256 ${result.weightsHash.slice(0, 12)}…)`)
  const { loss, checkpoints } = readLog(dir)
  const kept = checkpoints.filter((c) => existsSync(join(runDir, c.gen, 'manifest.json')))
  for (const c of kept) {
    if ((await sha256File(join(runDir, c.gen, 'manifest.json'))) !== c.manifestSha256) refuse(`${join(runDir, c.gen)}: checkpoint manifest does not match its recorded hash`)
  }
  const target = join(runsRoot(s.dbPath), `cluster-${work.workId}`)
  const existing = s.runs.idByRunDir(target)
  if (existing !== null) refuse(`already imported as run ${existing}`)

  // write: the run folder first (a temp sibling renamed into place), then one transaction
  rmSync(target, { recursive: true, force: true })
  const tmp = join(dirname(target), `.cluster-${work.workId}.tmp-${process.pid}`)
  cpSync(runDir, tmp, { recursive: true })
  renameSync(tmp, target)
  try {
    const out = s.db.transaction(() => {
      const job = s.jobsRepo.create('train.mcm', projectId, { cluster: { workId: work.workId, dir, host: state?.host, slurmJobId: state?.slurmJobId, starts: state?.starts } }, true)
      s.jobsRepo.markRunning(job.id, null)
      const run = s.runs.create({ projectId, jobId: job.id, student: work.student.name, teacher: work.teacher.name, config: cfg, runDir: target })
      for (const p of loss) s.runs.addLoss(run.id, p)
      for (const c of kept) s.runs.addCheckpoint(run.id, { phase: c.phase, step: c.step, path: join(target, c.gen), manifestSha256: c.manifestSha256 })
      const outputModel = `${work.student.name}-mcm-run${run.id}`
      const weightsPath = join(target, result.weightsFile)
      const source = { ...(result.manifest['source'] as Record<string, unknown>), file: weightsPath }
      s.runs.registerModel({ name: outputModel, manifest: { ...result.manifest, name: outputModel, source }, weightsPath, weightsHash: result.weightsHash })
      s.runs.finish(run.id, { evaluation: result.evaluation, inspection: result.inspection, outputModel })
      s.jobsRepo.finish(job.id, 'succeeded', { result: { runId: run.id, outputModel, evaluation: result.evaluation, steps: result.steps, weightsPath, cluster: work.workId } })
      return { runId: run.id, jobId: job.id, outputModel }
    })()
    log?.(`imported run ${out.runId}: model ${out.outputModel}, ${loss.length} loss points, ${kept.length} checkpoints`)
    return { dir, workId: work.workId, ...out, runDir: target, lossPoints: loss.length, checkpoints: kept.length, evaluation: result.evaluation }
  } catch (e) {
    rmSync(target, { recursive: true, force: true })
    throw e
  }
}
