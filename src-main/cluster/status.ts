// `tessera cluster status DIR`: progress of a work folder from its shard manifests, plus what SLURM says (squeue,
// sacct) when those commands exist here. With `verify`, every finished file is also checked against its hash (the
// merge step of verify.sbatch runs this on the cluster, where there is no database). A fine-tuning work folder reports
// its job state, loss log and last checkpoint instead.
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { sha256File } from '../models/atomic-files'
import { provenanceProblem } from './import'
import { jobName } from './sbatch'
import { SUBMIT_FILE, readShardManifest, readWorkManifest, rerunLine, shardDir, shellQuote } from './work-folder'
import { RESULT_FILE, RUN_DIR, readLog, readTrainManifest, readTrainState, type TrainState } from './train-work'
import type { ClusterStatusReply, ClusterTaskStatus } from '../../src-shared/contracts/cluster'

const run = promisify(execFile)

export type TaskStatus = ClusterTaskStatus
export type ClusterStatus = ClusterStatusReply

async function slurmQuery(cmd: string, args: string[]): Promise<string[] | string> {
  try {
    const r = await run(cmd, args, { timeout: 10_000 })
    return r.stdout.split('\n').filter((l) => l.trim().length > 0)
  } catch (e) {
    const x = e as { code?: string; stderr?: string; message: string }
    if (x.code === 'ENOENT') return `${cmd} not found on this machine`
    return `${cmd} failed: ${(x.stderr ?? x.message).trim().split('\n')[0]}`
  }
}

export async function workStatus(dir: string, opts: { verify?: boolean; slurm?: boolean } = {}): Promise<ClusterStatus> {
  const work = readWorkManifest(dir)
  const tasks: TaskStatus[] = []
  for (const plan of work.shards) {
    const m = readShardManifest(dir, plan.task)
    const t: TaskStatus = { task: plan.task, state: m ? m.status : 'pending', slides: plan.slides.length, done: 0, failed: 0, patches: 0, seconds: m?.seconds ?? 0, backend: m?.backend ?? null, host: m?.host ?? null, jobId: m?.slurm.jobId ?? null, updatedAt: m?.updatedAt ?? null, problems: [] }
    if (m) {
      const p = provenanceProblem(work, m)
      if (p) t.problems.push(p)
      for (const s of m.slides) {
        if (s.status === 'failed') {
          t.failed++
          t.problems.push(`${s.name}: ${s.error}`)
          continue
        }
        t.done++
        t.patches += s.count
        if (opts.verify) {
          const file = join(shardDir(dir, plan.task), s.file ?? '')
          if (!s.file || !existsSync(file)) t.problems.push(`${s.name}: file ${file} is missing`)
          else if ((await sha256File(file)) !== s.sha256) t.problems.push(`${s.name}: ${file} does not match its hash`)
        }
      }
    }
    tasks.push(t)
  }
  const bad = tasks.filter((t) => t.state !== 'complete' || t.problems.length > 0).map((t) => t.task)
  const name = jobName(work.workId)
  const slurm = opts.slurm !== false
  return {
    dir,
    workId: work.workId,
    model: work.model.name,
    tasks,
    complete: bad.length === 0,
    rerun: bad.length ? rerunLine(dir, bad) : null,
    squeue: slurm ? await slurmQuery('squeue', ['-h', `--name=${name}`, '-o', '%i %T %M %R']) : 'not asked',
    sacct: slurm ? await slurmQuery('sacct', ['-n', '-P', `--name=${name}`, '-o', 'JobID,State,ExitCode,Elapsed']) : 'not asked'
  }
}

const block = (label: string, v: string[] | string): string[] => (typeof v === 'string' ? [`${label}: ${v}`] : v.length ? [`${label}:`, ...v.map((l) => `  ${l}`)] : [`${label}: no jobs of this work`])

export function statusText(s: ClusterStatus): string {
  const lines = [`work ${s.workId} (model ${s.model}) in ${s.dir}: ${s.complete ? 'complete' : 'not complete'}`]
  for (const t of s.tasks) {
    lines.push(`  task ${String(t.task).padStart(3)}  ${t.state.padEnd(9)} ${t.done}/${t.slides} slides${t.failed ? `, ${t.failed} failed` : ''}, ${t.patches} patches, ${t.seconds.toFixed(1)} s${t.backend ? ` on ${t.backend}` : ''}${t.host ? ` @${t.host}` : ''}${t.jobId ? ` (job ${t.jobId})` : ''}`)
    for (const p of t.problems) lines.push(`        ${p}`)
  }
  lines.push(...block('squeue', s.squeue), ...block('sacct', s.sacct))
  if (s.rerun) lines.push(`re-run: ${s.rerun}`)
  return lines.join('\n')
}

export interface TrainWorkStatus {
  dir: string
  workId: string
  state: TrainState | null
  lossPoints: number
  lastCheckpoint: { phase: string; step: number } | null
  complete: boolean
  /** the command that (re)submits the job; it resumes from the last checkpoint */
  resubmit: string | null
  squeue: string[] | string
  sacct: string[] | string
}

/** Progress of a fine-tuning work folder: run/state.json, the loss log, and squeue/sacct when present. */
export async function trainStatus(dir: string, opts: { slurm?: boolean } = {}): Promise<TrainWorkStatus> {
  const work = readTrainManifest(dir)
  const state = readTrainState(dir)
  const log = readLog(dir)
  const last = log.checkpoints[log.checkpoints.length - 1]
  const complete = state?.status === 'complete' && existsSync(join(dir, RUN_DIR, RESULT_FILE))
  const name = `${jobName(work.workId)}-train`
  const slurm = opts.slurm !== false
  return {
    dir,
    workId: work.workId,
    state,
    lossPoints: log.loss.length,
    lastCheckpoint: last ? { phase: last.phase, step: last.step } : null,
    complete,
    resubmit: complete ? null : `cd ${shellQuote(dir)} && sbatch ${SUBMIT_FILE}`,
    squeue: slurm ? await slurmQuery('squeue', ['-h', `--name=${name}`, '-o', '%i %T %M %R']) : 'not asked',
    sacct: slurm ? await slurmQuery('sacct', ['-n', '-P', `--name=${name}`, '-o', 'JobID,State,ExitCode,Elapsed']) : 'not asked'
  }
}

export function trainStatusText(s: TrainWorkStatus): string {
  const st = s.state
  const lines = [
    `fine-tuning work ${s.workId} in ${s.dir}: ${s.complete ? 'complete (import it with tessera cluster import)' : st ? st.status : 'not started'}`,
    ...(st ? [`  started ${st.starts} time(s), last on ${st.host}${st.slurmJobId ? ` (job ${st.slurmJobId})` : ''}${st.backend ? ` with ${st.backend}` : ''}, updated ${st.updatedAt}${st.error ? `; ${st.error}` : ''}`] : []),
    `  ${s.lossPoints} loss points${s.lastCheckpoint ? `, last checkpoint ${s.lastCheckpoint.phase} step ${s.lastCheckpoint.step}` : ''}`
  ]
  lines.push(...block('squeue', s.squeue), ...block('sacct', s.sacct))
  if (s.resubmit) lines.push(`(re)submit: ${s.resubmit}`)
  return lines.join('\n')
}
