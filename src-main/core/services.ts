// The set of services the API handlers use; built once by createCore.
import type { Db } from '../store/database'
import type { ProjectsRepo } from '../store/projects-repo'
import type { JobsRepo } from '../store/jobs-repo'
import type { RunsRepo } from '../store/runs-repo'
import type { JobService } from '../jobs/job-service'
import type { EventBus } from './event-bus'
import type { ResourceRouter } from './resources'
import type { ModelRegistry } from '../models/registry'
import type { SystemInfo } from '../../src-shared/contracts/system'

export interface Services {
  db: Db
  dbPath: string
  door: SystemInfo['door']
  bus: EventBus
  projects: ProjectsRepo
  jobsRepo: JobsRepo
  jobs: JobService
  /** MCM+KD fine-tuning runs */
  runs: RunsRepo
  resources: ResourceRouter
  /** model registry (weights under <data dir>/models) */
  models: ModelRegistry
}
