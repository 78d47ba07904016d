// MCM+KD on real slide files (through the API, jobs in child processes): a generated cohort is added to a project, a
// smallcnn teacher's features are extracted into the cache, and a train.mcm run fine-tunes a registered smallcnn
// student; the fine-tuned student is registered and features.extract can run it.
import { join } from 'node:path'
import * as tf from '@tensorflow/tfjs'
import { afterAll, describe, expect, it } from 'vitest'
import type { Job, ModelRecord, Project } from '../../../src-shared/domain/types'
import type { McmRun, McmRunDetail } from '../../../src-shared/contracts/train'
import { createCore, type Core } from '../../../src-main/core/core'
import { generateCohort } from '../../../src-main/cohort/generate'
import { createModel } from '../../../src-main/ml/models/zoo'
import { saveSafetensorsFile } from '../../../src-main/ml/weights'
import { tempDir } from '../../helpers/tmp'

let core: Core | null = null
afterAll(() => core?.close())

describe('train.mcm on project slides', () => {
  it('fine-tunes a registered zoo student against cached teacher features', { timeout: 170_000 }, async () => {
    const t0 = Date.now()
    const lap = (what: string): void => console.log(`${what}: ${((Date.now() - t0) / 1000).toFixed(1)} s`)
    const dir = tempDir('mcm-proj-')
    await generateCohort({ outDir: join(dir, 'cohort'), seed: 3, overrides: { width: 1024, height: 1024, slides: 4, patientsWithTwoSlides: 0 } })
    await tf.setBackend('cpu')
    await saveSafetensorsFile(createModel('smallcnn', { seed: 1, width: 8, depth: 3, inputSize: 32 }), join(dir, 'student.safetensors'))
    await saveSafetensorsFile(createModel('smallcnn', { seed: 2, width: 16, depth: 3, inputSize: 32 }), join(dir, 'teacher.safetensors'))
    lap('cohort + models')

    const c = (core = createCore({ dbPath: join(dir, 't.db'), door: 'cli' }))
    const project = (await c.dispatch('project.create', { name: 'P' })) as Project
    await c.dispatch('slide.add', { projectId: project.id, paths: [join(dir, 'cohort', 'slides')] })
    for (const [name, file] of [['S', 'student'], ['T', 'teacher']] as const) {
      ;(await c.dispatch('model.import', { file: join(dir, `${file}.safetensors`), name, arch: 'smallcnn', inputSize: 32 })) as ModelRecord
    }
    const grid = { patchSize: 32, targetMpp: 0.5 }
    // capped at 6 steps per phase: this test checks the wiring; the one-epoch claim is checked on the synthetic cohort (cli-train)
    const config = { seed: 1, window: { size: 3 }, batchWindows: 8, maxSteps: 6, checkpointEvery: 3, heldOut: { maxWindows: 8 }, grid, data: { source: 'project' } }
    const train = async (): Promise<{ run: McmRun; job: Job }> => {
      const started = (await c.dispatch('train.start', { projectId: project.id, student: 'S', teacher: 'T', config })) as { run: McmRun; job: Job }
      return { run: started.run, job: await c.jobs.wait(started.job.id) }
    }

    // before the teacher's features are cached, the job fails naming the slide and what to run
    const early = await train()
    expect(early.job.status).toBe('failed')
    expect(early.job.error).toMatch(/demo-\d+\.svs: no complete float16 features of teacher "T" for this grid \(32px at 0\.5 µm\/px\)/)

    const fx = (await c.dispatch('features.extract', { projectId: project.id, model: 'T', grid })) as Job
    expect((await c.jobs.wait(fx.id)).status).toBe('succeeded')
    lap('teacher features')
    const { run, job } = await train()
    expect(job.status, job.error ?? '').toBe('succeeded')
    lap('train.mcm')
    const detail = (await c.dispatch('run.get', { id: run.id })) as McmRunDetail
    const e = detail.evaluation as NonNullable<McmRunDetail['evaluation']>
    console.log(
      `project run: held-out masked L1 before ${e.before.toFixed(4)}, after ${e.after.toFixed(4)}, control ${e.control?.toFixed(4)}, visible-mean baseline ${e.visibleMeanBaseline.toFixed(4)} (${e.maskedPatches} masked patches); after ${e.after < (e.control ?? Infinity) ? 'beats' : 'does NOT beat'} the control`
    )
    expect(e.after).toBeLessThan(e.before)
    expect(detail.outputModel).toBe(`S-mcm-run${run.id}`)

    const ft = (await c.dispatch('model.get', { model: detail.outputModel as string })) as ModelRecord
    expect(ft.kind).toBe('finetuned')
    expect(ft.manifest['arch']).toBe('smallcnn')
    const fx2 = (await c.dispatch('features.extract', { projectId: project.id, model: detail.outputModel as string, grid, slideIds: [1] })) as Job
    const fx2done = await c.jobs.wait(fx2.id)
    expect(fx2done.status, fx2done.error ?? '').toBe('succeeded')
    lap('fine-tuned student runs in features.extract')
  })
})
