// Composition root of the core: store, repositories, job service, API handlers. Shared by all three doors.
import { openDatabase } from '../store/database'
import { ProjectsRepo } from '../store/projects-repo'
import { JobsRepo } from '../store/jobs-repo'
import { JobService } from '../jobs/job-service'
import { EventBus } from './event-bus'
import { ResourceRouter } from './resources'
import { createDispatcher, type Dispatch, type Handlers } from '../api/dispatch'
import type { Services } from './services'
import { systemHandlers } from '../api/handlers/system'
import { projectHandlers } from '../api/handlers/projects'
import { jobHandlers } from '../api/handlers/jobs'
import { slideHandlers } from '../api/handlers/slides'
import { SlidesService } from '../slides/service/slides-service'
import { registerSlideResources } from '../slides/service/resources'
import { SlidesRepo } from '../store/slides-repo'
import { openSlide } from '../slides/registry'
import { trainHandlers } from '../api/handlers/train'
import { RunsRepo } from '../store/runs-repo'
import { modelHandlers } from '../api/handlers/models'
import { featureHandlers } from '../api/handlers/features'
import { ModelRegistry, modelsRoot } from '../models/registry'
import { ModelsRepo } from '../store/models-repo'
import { evalHandlers } from '../api/handlers/eval'
import { clusterHandlers } from '../api/handlers/cluster'

export interface CoreOptions {
  dbPath: string
  door: Services['door']
}

export interface Core extends Services {
  dispatch: Dispatch
  close(): void
}

export function createCore(options: CoreOptions): Core {
  const db = openDatabase(options.dbPath)
  const bus = new EventBus()
  const jobsRepo = new JobsRepo(db)
  const services: Services = {
    db,
    dbPath: options.dbPath,
    door: options.door,
    bus,
    projects: new ProjectsRepo(db),
    jobsRepo,
    jobs: new JobService(jobsRepo, bus, options.dbPath),
    runs: new RunsRepo(db),
    resources: new ResourceRouter(),
    slides: new SlidesService(db, new SlidesRepo(db), new ProjectsRepo(db), openSlide),
    models: new ModelRegistry(new ModelsRepo(db), modelsRoot(options.dbPath))
  }
  services.jobs.recover()
  registerSlideResources(services.resources, services.slides)

  // One spread per service; the `Handlers` type makes a missing handler a compile error.
  const handlers: Handlers = {
    ...systemHandlers(services),
    ...projectHandlers(services),
    ...trainHandlers(services),
    ...jobHandlers(services),
    ...slideHandlers(services),
    ...modelHandlers(services),
    ...featureHandlers(services),
    ...evalHandlers(services),
    ...clusterHandlers(services)
  }

  return {
    ...services,
    dispatch: createDispatcher(handlers),
    close() {
      services.jobs.shutdown()
      void services.slides.close()
      db.close()
    }
  }
}
