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
import type { SlidesService } from '../slides/service/slides-service'

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
  /** slides of projects: add, metadata, open handles, Deep Zoom tiles, tissue masks, grids */
  slides: SlidesService
  /** model registry (weights under <data dir>/models) */
  models: ModelRegistry
}
