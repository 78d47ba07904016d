// Contract of the job service: list, inspect, cancel and resume background jobs.
import { z } from 'zod'
import { method } from './define'
import type { Job } from '../domain/types'

const jobId = z.number().int().positive()

export const jobContract = {
  'job.list': method<Job[]>()(
    z.strictObject({ projectId: z.number().int().positive().optional(), kind: z.string().optional() }),
    'List jobs, newest first'
  ),
  'job.get': method<Job>()(z.strictObject({ id: jobId }), 'Get one job'),
  'job.cancel': method<Job>()(z.strictObject({ id: jobId }), 'Cancel a queued or running job'),
  'job.resume': method<Job>()(z.strictObject({ id: jobId }), 'Resume an interrupted, failed or cancelled resumable job'),
  'job.startDemo': method<Job>()(
    z.strictObject({ steps: z.number().int().min(1).max(100_000), stepMs: z.number().int().min(0).max(60_000) }),
    'Start a diagnostic job that counts to `steps` (checks the job machinery end to end)'
  )
} as const
