// Through the API and the job service: a train.mcm run cancelled mid-phase resumes (train.resume) from its last
// checkpoint, finishes, and its loss curve covers every step once (steps after the checkpoint are rewritten).
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import type { Job, Project } from '../../../src-shared/domain/types'
import type { McmRun, McmRunDetail } from '../../../src-shared/contracts/train'
import { createCore, type Core } from '../../../src-main/core/core'
import { tempDir } from '../../helpers/tmp'

let core: Core | null = null
afterAll(() => core?.close())

describe('train.mcm cancel and resume', () => {
  it('resumes a cancelled run from its checkpoint and finishes', { timeout: 120_000 }, async () => {
    const c = (core = createCore({ dbPath: join(tempDir('mcm-job-'), 't.db'), door: 'cli' }))
    const project = (await c.dispatch('project.create', { name: 'P' })) as Project
    const config = {
      seed: 4,
      backend: 'cpu',
      window: { size: 3 },
      batchWindows: 2,
      checkpointEvery: 3,
      control: false,
      heldOut: { maxWindows: 4 },
      data: { source: 'synthetic', synthetic: { slides: 3, cols: 12, rows: 12, holes: 0 } }
    }
    const started = (await c.dispatch('train.start', { projectId: project.id, student: 'tiny-cnn', teacher: 'synthetic', config })) as { run: McmRun; job: Job }
    // cancel once the run has passed its second checkpoint
    await new Promise<void>((resolve) => {
      const off = c.bus.on((e) => {
        if (e.type === 'job.progress' && e.jobId === started.job.id && /main step ([7-9]|\d\d)\//.test(e.message ?? '')) {
          off()
          c.jobs.cancel(started.job.id)
          resolve()
        }
      })
    })
    const cancelled = await c.jobs.wait(started.job.id)
    expect(cancelled.status).toBe('cancelled')
    const mid = (await c.dispatch('run.get', { id: started.run.id })) as McmRunDetail
    expect(mid.status).toBe('cancelled')
    expect(mid.checkpoints.length).toBeGreaterThan(0)
    const resumeFrom = Math.max(...mid.checkpoints.map((k) => k.step))

    const resumed = (await c.dispatch('train.resume', { id: started.run.id })) as { run: McmRun; job: Job }
    const done = await c.jobs.wait(resumed.job.id)
    expect(done.status, done.error ?? '').toBe('succeeded')
    const run = (await c.dispatch('run.get', { id: started.run.id })) as McmRunDetail
    const steps = run.lossCurve.filter((p) => p.phase === 'main').map((p) => p.step)
    const total = Math.max(...steps)
    expect(steps).toEqual(Array.from({ length: total }, (_, i) => i + 1))
    expect(resumeFrom).toBeLessThan(total)
    expect(run.evaluation).not.toBeNull()
    expect(run.outputModel).toBe(`tiny-cnn-mcm-run${run.id}`)
    console.log(`cancelled after checkpoint at step ${resumeFrom}; resumed and finished ${total} steps; held-out L1 ${run.evaluation?.before.toFixed(4)} → ${run.evaluation?.after.toFixed(4)}`)
  })
})
