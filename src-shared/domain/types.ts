// Domain records shared by every door (desktop, headless HTTP, CLI): plain data, no behaviour.
import type { TissueChoice } from './grid'

/** A project groups slides, runs and models. */
export interface Project {
  id: number
  name: string
  createdAt: string
  slideCount: number
  /** tissue method grids are built with; null = the default (combined) */
  tissue: TissueChoice | null
}

/** Lifecycle of a slide inside a project. */
export type SlideStatus = 'ok' | 'error' | 'pending'

/** A slide registered in a project. Coordinates are level-0 pixels; mpp in µm/px. */
export interface Slide {
  id: number
  projectId: number
  path: string
  name: string
  checksum: string | null
  status: SlideStatus
  error: string | null
  vendor: string | null
  width: number | null
  height: number | null
  mppX: number | null
  mppY: number | null
  mppOverride: number | null
  label: string | null
  patientId: string | null
  metadata: Record<string, unknown>
  /** tissue fraction of the slide's latest tissue mask (0–1), null before one is computed */
  tissueCoverage: number | null
  /** method of that mask */
  tissueMethod: string | null
  /** set when the file's level-0 resolution is missing or implausible and no override is set (see domain/resolution) */
  resolutionProblem: string | null
}

/** States a job moves through; `interrupted` jobs were running when the process died and can be resumed. */
export type JobStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled' | 'interrupted'

export interface Job {
  id: number
  projectId: number | null
  kind: string
  status: JobStatus
  params: Record<string, unknown>
  progress: number
  message: string | null
  error: string | null
  result: Record<string, unknown> | null
  resumable: boolean
  createdAt: string
  startedAt: string | null
  finishedAt: string | null
}

/** A model in the zoo: weights live in files, the row holds the manifest and its hash. */
export interface ModelRecord {
  id: number
  name: string
  kind: 'student' | 'teacher' | 'finetuned' | 'other'
  manifest: Record<string, unknown>
  weightsPath: string | null
  weightsHash: string | null
  createdAt: string
}
