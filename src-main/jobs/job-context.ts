// What a job implementation receives: its params, a progress reporter, a cancel signal, the store.
import type { Db } from '../store/database'

export interface JobContext {
  jobId: number
  params: Record<string, unknown>
  /** true when this run continues an interrupted one: read your state and skip finished work */
  resume: boolean
  signal: AbortSignal
  db: Db
  dbPath: string
  progress(fraction: number, message?: string | null, extra?: { rate?: number; unit?: string; metrics?: Record<string, number> }): void
  /** Durable resume state (small JSON in the job row). */
  readState<T extends Record<string, unknown>>(): T | null
  writeState(state: Record<string, unknown>): void
}

export interface JobKind {
  /** Resumable kinds can continue after a kill from their last saved state. */
  resumable: boolean
  run(ctx: JobContext): Promise<Record<string, unknown>>
}

/** Thrown by a job when its signal is aborted. */
export class JobCancelled extends Error {
  constructor() {
    super('cancelled')
    this.name = 'JobCancelled'
  }
}

export function throwIfCancelled(signal: AbortSignal): void {
  if (signal.aborted) throw new JobCancelled()
}
