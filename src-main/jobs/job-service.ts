// Runs jobs in child processes, one queue, records state in the store and streams progress events.
import type { ChildProcess } from 'node:child_process'
import { launchChild } from '../core/child-launch'
import { processEntry } from '../core/entry-point'
import type { Job } from '../../src-shared/domain/types'
import type { EventBus } from '../core/event-bus'
import type { JobsRepo } from '../store/jobs-repo'
import { ApiError } from '../api/errors'
import { jobKinds } from '../workers/index'
import type { ChildMessage, ParentMessage } from './protocol'
import { RateEstimator } from './rate-estimator'
import { isStoreDiskFull } from '../store/database'
import { releaseReserve } from '../store/disk-reserve'

interface Running {
  child: ChildProcess
  cancelRequested: boolean
  rate: RateEstimator
  finished: boolean
}

/** Path of the runner entry: the .ts source under tsx, or the bundled .js next to the built main. */
function runnerPath(): { file: string; execArgv: string[] } {
  return processEntry(import.meta.url, 'runner')
}

export class JobService {
  private readonly running = new Map<number, Running>()
  private readonly queue: { id: number; resume: boolean }[] = []
  private readonly waiters = new Map<number, ((job: Job) => void)[]>()

  constructor(
    private readonly repo: JobsRepo,
    private readonly bus: EventBus,
    private readonly dbPath: string,
    private readonly concurrency = 1
  ) {}

  /** On start-up: jobs left running by a dead process become `interrupted` (resumable if their kind is). */
  recover(): number[] {
    try {
      return this.repo.markInterrupted((pid) => {
        try {
          process.kill(pid, 0)
          return true
        } catch {
          return false
        }
      })
    } catch (e) {
      // on a full disk the marks wait for the next start; reads (project list, job list) must still work
      if (isStoreDiskFull(e)) return []
      throw e
    }
  }

  start(kind: string, projectId: number | null, params: Record<string, unknown>): Job {
    const entry = jobKinds[kind]
    if (!entry) throw new ApiError('bad_request', `unknown job kind "${kind}"`)
    const job = this.repo.create(kind, projectId, params, entry.resumable)
    this.enqueue(job.id, false)
    return this.repo.get(job.id)
  }

  resume(id: number): Job {
    const job = this.repo.get(id)
    if (!job.resumable) throw new ApiError('conflict', `job ${id} (${job.kind}) cannot be resumed`)
    if (!['interrupted', 'failed', 'cancelled'].includes(job.status)) {
      throw new ApiError('conflict', `job ${id} is ${job.status}; only interrupted, failed or cancelled jobs resume`)
    }
    this.repo.requeue(id)
    this.enqueue(id, true)
    return this.repo.get(id)
  }

  cancel(id: number): Job {
    const job = this.repo.get(id)
    const queued = this.queue.findIndex((q) => q.id === id)
    if (queued >= 0) {
      this.queue.splice(queued, 1)
      this.finish(id, job.kind, 'cancelled', 'cancelled before it started')
      return this.repo.get(id)
    }
    const run = this.running.get(id)
    if (!run) throw new ApiError('conflict', `job ${id} is ${job.status}, not running`)
    run.cancelRequested = true
    this.post(run.child, { type: 'cancel' })
    // A worker stuck in native code gets 5 s to notice, then is killed.
    setTimeout(() => {
      if (!run.finished) run.child.kill('SIGKILL')
    }, 5000).unref()
    return this.repo.get(id)
  }

  /** Resolve when the job reaches a final state. */
  wait(id: number): Promise<Job> {
    const job = this.repo.get(id)
    if (!['queued', 'running'].includes(job.status)) return Promise.resolve(job)
    return new Promise((resolve) => {
      const list = this.waiters.get(id) ?? []
      list.push(resolve)
      this.waiters.set(id, list)
    })
  }

  /** Kill every running child (app shutdown). Their jobs become interrupted on the next start. */
  shutdown(): void {
    this.queue.length = 0
    for (const run of this.running.values()) run.child.kill('SIGKILL')
  }

  private enqueue(id: number, resume: boolean): void {
    this.queue.push({ id, resume })
    this.pump()
  }

  private pump(): void {
    while (this.running.size < this.concurrency && this.queue.length > 0) {
      const next = this.queue.shift()
      if (next) this.launch(next.id, next.resume)
    }
  }

  private launch(id: number, resume: boolean): void {
    const job = this.repo.get(id)
    const { file, execArgv } = runnerPath()
    const child = launchChild(file, { execArgv, stdout: 'inherit', stderr: 'inherit' })
    const run: Running = { child, cancelRequested: false, rate: new RateEstimator(), finished: false }
    this.running.set(id, run)
    this.repo.markRunning(id, child.pid ?? null)
    this.emitProgress(id, job.kind, job.progress, 'starting', run)
    child.on('message', (msg: ChildMessage) => this.onMessage(id, job.kind, run, msg))
    child.on('exit', (code, signal) => {
      if (run.finished) return
      const why = run.cancelRequested ? 'cancelled' : `the job process stopped (${signal ?? `exit code ${code}`})`
      this.complete(id, job.kind, run, run.cancelRequested ? 'cancelled' : 'interrupted', why)
    })
    child.on('error', (e) => {
      if (!run.finished) this.complete(id, job.kind, run, 'failed', `cannot start job process: ${e.message}`)
    })
    this.post(child, { type: 'start', jobId: id, kind: job.kind, params: job.params, dbPath: this.dbPath, resume })
  }

  private onMessage(id: number, kind: string, run: Running, msg: ChildMessage): void {
    if (msg.type === 'progress') {
      try {
        this.repo.setProgress(id, msg.fraction, msg.message, msg.metrics)
      } catch (e) {
        // progress rows are a convenience: on a full disk the job goes on (its own writes will tell if it cannot)
        if (!isStoreDiskFull(e)) throw e
      }
      this.emitProgress(id, kind, msg.fraction, msg.message, run, msg)
    } else if (msg.type === 'done') {
      this.complete(id, kind, run, 'succeeded', null, msg.result)
    } else {
      this.complete(id, kind, run, msg.cancelled ? 'cancelled' : 'failed', msg.message)
    }
  }

  private emitProgress(
    id: number,
    kind: string,
    fraction: number,
    message: string | null,
    run: Running,
    extra: { rate?: number; unit?: string; metrics?: Record<string, number> } = {}
  ): void {
    const est = run.rate.update(fraction)
    this.bus.emit({
      type: 'job.progress',
      jobId: id,
      kind,
      status: 'running',
      fraction,
      rate: extra.rate ?? est.fractionPerSecond,
      unit: extra.rate !== undefined ? (extra.unit ?? null) : 'fraction',
      etaSeconds: est.etaSeconds,
      message,
      ...(extra.metrics ? { metrics: extra.metrics } : {})
    })
  }

  private complete(
    id: number,
    kind: string,
    run: Running,
    status: Job['status'],
    error: string | null,
    result?: Record<string, unknown>
  ): void {
    run.finished = true
    this.running.delete(id)
    this.finish(id, kind, status, error, result)
    this.pump()
  }

  /**
   * Record a final state. On a full disk the database reserve is given back and the write retried, so the job row
   * never stays `running`; if even that fails, waiters still get the real outcome, with a note that the row could
   * not be updated (the next start marks it interrupted).
   */
  private finish(id: number, kind: string, status: Job['status'], error: string | null, result?: Record<string, unknown>): void {
    let job: Job
    try {
      this.recordFinish(id, status, error, result)
      job = this.repo.get(id)
    } catch (e) {
      if (!isStoreDiskFull(e)) throw e
      const note = `the job's final state could not be saved: ${this.dbPath}: no space left on device (ENOSPC)`
      error = error ? `${error} (${note})` : note
      job = { ...this.repo.get(id), status, error, result: result ?? null }
    }
    this.bus.emit({ type: 'job.finished', jobId: id, kind, status, error })
    for (const w of this.waiters.get(id) ?? []) w(job)
    this.waiters.delete(id)
  }

  private recordFinish(id: number, status: Job['status'], error: string | null, result?: Record<string, unknown>): void {
    try {
      this.repo.finish(id, status, { error, result: result ?? null })
    } catch (e) {
      if (!isStoreDiskFull(e) || !releaseReserve(this.dbPath)) throw e
      this.repo.finish(id, status, { error, result: result ?? null })
    }
  }

  private post(child: ChildProcess, msg: ParentMessage): void {
    if (child.connected) child.send(msg)
  }
}
