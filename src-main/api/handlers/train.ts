// Handlers of train.* and run.* methods: start/resume MCM+KD runs (train.mcm jobs) and read their records.
import { existsSync } from 'node:fs'
import { runDirFor } from '../../core/run-dirs'
import type { Handlers } from '../dispatch'
import type { Services } from '../../core/services'
import { ApiError } from '../errors'
import { isBuiltinStudent } from '../../../src-shared/contracts/train'

type TrainMethods = 'train.start' | 'train.resume' | 'run.list' | 'run.get' | 'run.inspection' | 'run.inspectWindow'

export function trainHandlers(s: Services): Pick<Handlers, TrainMethods> {
  return {
    'train.start': ({ projectId, student, teacher, config }) => {
      s.projects.get(projectId)
      if (config.data.source === 'project') {
        // fail fast on names; slides, grids and cached teacher features are checked by the job (it names what is missing)
        for (const [role, name] of [['teacher', teacher], ['student', student]] as const) {
          if (role === 'student' && isBuiltinStudent(name)) continue
          const found = s.db.prepare('SELECT 1 FROM models WHERE name = ? OR CAST(id AS TEXT) = ?').get(name, name)
          if (!found) throw new ApiError('not_found', `${role} model "${name}" is not registered (tessera model list)`)
        }
      }
      // The job and its run row are written in the same tick, before the child process can start and read them.
      const job = s.jobs.start('train.mcm', projectId, {})
      const run = s.runs.create({ projectId, jobId: job.id, student, teacher, config, runDir: runDirFor(s.dbPath, job.id) })
      s.db.prepare('UPDATE jobs SET params = ? WHERE id = ?').run(JSON.stringify({ runId: run.id }), job.id)
      return { run, job: s.jobsRepo.get(job.id) }
    },
    'train.resume': ({ id }) => {
      const run = s.runs.get(id)
      const job = s.jobs.resume(run.jobId)
      return { run: s.runs.get(id), job }
    },
    'run.list': ({ projectId }) => s.runs.list(projectId),
    'run.get': ({ id }) => {
      const run = s.runs.get(id)
      return {
        ...run,
        job: s.jobsRepo.get(run.jobId),
        lossCurve: s.runs.lossCurve(id),
        // generations pruned from disk (the trainer keeps the last few) are not offered as if they could be loaded
        checkpoints: s.runs.checkpoints(id).filter((c) => existsSync(c.path)),
        evaluation: s.runs.evaluation(id)
      }
    },
    'run.inspectWindow': ({ id, slide, col, row }) => {
      const run = s.runs.get(id)
      return s.jobs.start('mcm.inspect', run.projectId, { runId: id, slide, col, row })
    },
    'run.inspection': ({ id }) => {
      const ins = s.runs.inspection(id)
      if (!ins) throw new ApiError('conflict', `run ${id} has no inspection data yet (it is ${s.runs.get(id).status})`)
      return ins
    }
  }
}
