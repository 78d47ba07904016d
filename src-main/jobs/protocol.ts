// Messages between the job service (parent) and a job runner process (child).

export interface StartMessage {
  type: 'start'
  jobId: number
  kind: string
  params: Record<string, unknown>
  dbPath: string
  resume: boolean
}

export interface CancelMessage {
  type: 'cancel'
}

export type ParentMessage = StartMessage | CancelMessage

export interface ProgressMessage {
  type: 'progress'
  fraction: number
  message: string | null
  /** the worker may measure its own rate (e.g. images/s); otherwise the parent estimates one */
  rate?: number
  unit?: string
  metrics?: Record<string, number>
}

export interface DoneMessage {
  type: 'done'
  result: Record<string, unknown>
}

export interface FailedMessage {
  type: 'failed'
  message: string
  cancelled: boolean
}

export type ChildMessage = ProgressMessage | DoneMessage | FailedMessage
