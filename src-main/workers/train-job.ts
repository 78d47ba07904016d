// `tessera train-job DIR`: the MCM+KD run of a fine-tuning work folder on a cluster node, headless and without the
// project database. Data from the folder (ml/mcm/work-source.ts), the held-out split checked against the one decided
// on the workstation, checkpoints under DIR/run (the trainer's own atomic generations), the loss curve and checkpoint
// list appended to run/log.jsonl, the result and the fine-tuned bundle written last. A re-run after a kill or a dead
// node resumes every phase from its last checkpoint (the exact-resume machinery of ml/mcm/trainer.ts).
import { closeSync, existsSync, ftruncateSync, mkdirSync, openSync, readFileSync, rmSync } from 'node:fs'
import { hostname } from 'node:os'
import { join, relative } from 'node:path'
import { McmConfig } from '../../src-shared/contracts/train'
import { splitSlides } from '../../src-shared/domain/held-out-split'
import { readBundleManifest } from '../models/bundle'
import { runMcm } from '../ml/mcm/run-mcm'
import { WorkFolderDataSource } from '../ml/mcm/work-source'
import { patientsOf } from '../ml/mcm/windows'
import { writeJsonAtomic } from '../cluster/work-folder'
import type { PathMap } from '../cluster/node-slide'
import { LOG_FILE, RESULT_FILE, RUN_DIR, STATE_FILE, TRAIN_STATE_FORMAT, appendLog, readTrainManifest, readTrainState, type TrainResult, type TrainState } from '../cluster/train-work'
import { manifestStudentFactory } from './mcm-common'

export interface TrainJobOptions {
  dir: string
  pathMap?: PathMap
  signal?: AbortSignal
  log?(line: string): void
}

export interface TrainJobResult {
  workId: string
  status: TrainState['status']
  /** true when an earlier start had already finished the run */
  alreadyDone: boolean
  starts: number
  steps: Record<string, number>
  evaluation: TrainResult['evaluation'] | null
  seconds: number
}

/** A kill in the middle of an append leaves a torn last line: cut it, so the next append starts a line of its own. */
function repairLogTail(file: string): void {
  if (!existsSync(file)) return
  const text = readFileSync(file)
  const end = text.lastIndexOf(0x0a) + 1
  if (end === text.length) return
  const fd = openSync(file, 'r+')
  try {
    ftruncateSync(fd, end)
  } finally {
    closeSync(fd)
  }
}

export async function runTrainJob(o: TrainJobOptions): Promise<TrainJobResult> {
  const t0 = Date.now()
  const work = readTrainManifest(o.dir)
  const cfg = McmConfig.parse(work.config)
  const runDir = join(o.dir, RUN_DIR)
  mkdirSync(runDir, { recursive: true })
  const prev = readTrainState(o.dir)
  if (prev && prev.workId !== work.workId) throw new Error(`${join(runDir, STATE_FILE)}: belongs to work ${prev.workId}, not ${work.workId}; remove ${runDir} first`)
  if (prev?.status === 'complete' && existsSync(join(runDir, RESULT_FILE))) {
    const r = JSON.parse(readFileSync(join(runDir, RESULT_FILE), 'utf8')) as TrainResult
    return { workId: work.workId, status: 'complete', alreadyDone: true, starts: prev.starts, steps: r.steps, evaluation: r.evaluation, seconds: 0 }
  }
  rmSync(join(runDir, RESULT_FILE), { force: true })
  repairLogTail(join(runDir, LOG_FILE))
  const now = (): string => new Date().toISOString()
  const state: TrainState = {
    format: TRAIN_STATE_FORMAT,
    workId: work.workId,
    status: 'running',
    host: hostname(),
    pid: process.pid,
    slurmJobId: process.env['SLURM_JOB_ID'] ?? null,
    backend: null,
    starts: (prev?.starts ?? 0) + 1,
    startedAt: now(),
    updatedAt: now(),
    finishedAt: null,
    error: null
  }
  const save = (): void => {
    state.updatedAt = now()
    writeJsonAtomic(join(runDir, STATE_FILE), state)
  }
  save()
  const notice = (m: string): void => {
    appendLog(o.dir, { t: 'notice', m })
    o.log?.(m)
  }
  let source: WorkFolderDataSource | null = null
  try {
    source = await WorkFolderDataSource.open(o.dir, work, cfg.grid.patchSize, { ...(o.pathMap ? { pathMap: o.pathMap } : {}), ...(o.signal ? { signal: o.signal } : {}) })
    const split = splitSlides(source.slides().map((g) => g.slide), cfg.heldOut, patientsOf(source.slides()))
    if (JSON.stringify(split) !== JSON.stringify({ train: work.split.train, heldOut: work.split.heldOut })) {
      throw new Error(`${o.dir}: the held-out split on this node (${split.heldOut.join(', ')}) is not the exported one (${work.split.heldOut.join(', ')})`)
    }
    let factory: ReturnType<typeof manifestStudentFactory> | undefined
    if (work.student.bundle) {
      const bundleDir = join(o.dir, work.student.bundle)
      const b = await readBundleManifest(bundleDir)
      if (b.manifest.weightSha256 !== work.student.weightSha256) throw new Error(`${bundleDir}: the student bundle (${b.manifest.weightSha256.slice(0, 12)}…) is not the exported student (${String(work.student.weightSha256).slice(0, 12)}…)`)
      factory = manifestStudentFactory(work.student.name, b.manifest, join(bundleDir, b.weightsFile), source.patchSize, cfg.seed, notice)
    }
    let lastLog = 0
    const out = await runMcm({
      cfg,
      source,
      student: work.student.name,
      ...(factory ? { studentFactory: factory } : {}),
      mpp: cfg.grid.targetMpp,
      teacher: work.teacher.name,
      runDir,
      ...(o.signal ? { signal: o.signal } : {}),
      hooks: {
        loss: (p) => appendLog(o.dir, { t: 'loss', p }),
        checkpoint: (c) => {
          appendLog(o.dir, { t: 'checkpoint', phase: c.phase, step: c.step, gen: relative(runDir, c.dir), manifestSha256: c.manifestSha256 })
          save()
        },
        notice: (m) => {
          if (m.startsWith('backend: ')) state.backend = m.slice(9).split(' (')[0] ?? null
          notice(m)
        },
        progress: (_f, m) => {
          if (Date.now() - lastLog < 10_000) return
          lastLog = Date.now()
          o.log?.(m)
        }
      }
    })
    const result: TrainResult = {
      workId: work.workId,
      evaluation: out.evaluation,
      inspection: out.inspection,
      steps: out.steps,
      trainSlides: out.trainSlides,
      heldOutSlides: out.heldOutSlides,
      weightsFile: relative(runDir, out.exported.weightsPath),
      weightsHash: out.exported.weightsHash,
      manifest: out.exported.manifest
    }
    writeJsonAtomic(join(runDir, RESULT_FILE), result)
    state.status = 'complete'
    return { workId: work.workId, status: 'complete', alreadyDone: false, starts: state.starts, steps: out.steps, evaluation: out.evaluation, seconds: (Date.now() - t0) / 1000 }
  } catch (e) {
    state.status = o.signal?.aborted ? 'cancelled' : 'failed'
    state.error = o.signal?.aborted ? 'stopped by a signal (scancel, time limit or node shutdown); re-submit to resume' : (e as Error).message
    throw e
  } finally {
    state.finishedAt = now()
    save()
    await source?.close()
  }
}
