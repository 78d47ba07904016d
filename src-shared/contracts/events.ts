// Events pushed from the core to every door (IPC send, HTTP server-sent events, CLI stderr).
import type { JobStatus } from '../domain/types'

export interface JobProgressEvent {
  type: 'job.progress'
  jobId: number
  kind: string
  status: JobStatus
  /** 0..1 */
  fraction: number
  /** work units per second (the unit is named in `unit`) */
  rate: number | null
  unit: string | null
  /** seconds remaining, estimated from the recent rate */
  etaSeconds: number | null
  message: string | null
  /** free-form metrics of the step (loss, lr, …) */
  metrics?: Record<string, number>
}

export interface JobFinishedEvent {
  type: 'job.finished'
  jobId: number
  kind: string
  status: JobStatus
  error: string | null
}

export type CoreEvent = JobProgressEvent | JobFinishedEvent
