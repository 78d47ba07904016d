// Handlers of job.* methods.
import type { Handlers } from '../dispatch'
import type { Services } from '../../core/services'

type JobMethods = 'job.list' | 'job.get' | 'job.cancel' | 'job.resume' | 'job.startDemo'

export function jobHandlers(s: Services): Pick<Handlers, JobMethods> {
  return {
    'job.list': ({ projectId, kind }) => s.jobsRepo.list({ projectId, kind }),
    'job.get': ({ id }) => s.jobsRepo.get(id),
    'job.cancel': ({ id }) => s.jobs.cancel(id),
    'job.resume': ({ id }) => s.jobs.resume(id),
    'job.startDemo': ({ steps, stepMs }) => s.jobs.start('diagnostic.count', null, { steps, stepMs })
  }
}
