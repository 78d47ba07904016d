// One MCM+KD run as a cluster job, without SLURM (fast): `cluster export-train` → `train-job` → `cluster import`.
// The node step runs through the CLI in child processes with a database path that must never be created; one run is
// killed (SIGKILL) after a checkpoint and re-run: its loss curve and fine-tuned weights equal those of an uninterrupted
// run of the same folder. The import records the run as if it had run here; folders of another project, teacher or
// grid, and unfinished ones, are refused with the database left as it was. A zoo student travels as a verified bundle.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { spawn } from 'node:child_process'
import { cpSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createCore, type Core } from '../../../src-main/core/core'
import { writeTestSlide } from '../../../src-main/slides/synth/write-test-slide'
import { openSlide } from '../../../src-main/slides/registry'
import { exportTrainFolder } from '../../../src-main/cluster/export-train'
import { importTrainFolder } from '../../../src-main/cluster/import-train'
import { readLog, readTrainState, type TrainResult } from '../../../src-main/cluster/train-work'
import { trainStatus } from '../../../src-main/cluster/status'
import { runsRoot } from '../../../src-main/core/run-dirs'
import { runTrainJob } from '../../../src-main/workers/train-job'
import type { Job, ModelRecord, Project } from '../../../src-shared/domain/types'
import type { McmRunDetail } from '../../../src-shared/contracts/train'
import * as tf from '@tensorflow/tfjs'
import { createModel } from '../../../src-main/ml/models/zoo'
import { saveSafetensorsFile } from '../../../src-main/ml/weights'
import { tempDir } from '../../helpers/tmp'

const root = join(__dirname, '..', '..', '..')
const onnxFile = join(root, 'tests', 'fixtures', 'models', 'tiny-encoder.onnx')
const grid = { targetMpp: 2, patchSize: 16, overlap: 0, minTissue: 0.1 }
// tiny: a 16-dim built-in student on 16 px patches, 6 main steps with a checkpoint every 2 (the node may be killed between them)
const TRAIN_JOB_CONFIG = {
  seed: 5,
  backend: 'cpu',
  window: { size: 3 },
  batchWindows: 2,
  maxSteps: 6,
  checkpointEvery: 2,
  control: false,
  probe: { patches: 0 },
  heldOut: { maxWindows: 2 },
  inspection: { windows: 1 },
  grid,
  data: { source: 'project', teacherDtype: 'float32' }
}

let dir: string
let core: Core
let project: Project
let work: string
const neverDb = (): string => join(dir, 'no-such-dir', 'node.db')

const counts = (): string =>
  JSON.stringify(['jobs', 'mcm_runs', 'mcm_loss', 'mcm_checkpoints', 'models'].map((t) => (core.db.prepare(`SELECT COUNT(*) AS n FROM ${t}`).get() as { n: number }).n))

/** `tessera train-job DIR` in a child process; `killWhen` polls the folder and SIGKILLs the child when it says so. */
function trainJob(folder: string, killWhen?: () => boolean): Promise<{ code: number | null; killed: boolean; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(root, 'bin', 'tessera.mjs'), '--db', neverDb(), 'train-job', folder], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] })
    let stderr = ''
    let killed = false
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    const timer = killWhen
      ? setInterval(() => {
          if (!killed && killWhen()) {
            killed = true
            child.kill('SIGKILL')
          }
        }, 20)
      : null
    child.on('error', reject)
    child.on('exit', (code) => {
      if (timer) clearInterval(timer)
      resolve({ code, killed, stderr })
    })
  })
}

beforeAll(async () => {
  dir = tempDir('train-work-')
  core = createCore({ dbPath: join(dir, 't.db'), door: 'cli' })
  project = (await core.dispatch('project.create', { name: 'p' })) as Project
  const paths: string[] = []
  for (const seed of [1, 2, 3]) {
    const path = join(dir, `slide-${seed}.tiff`)
    await writeTestSlide({ path, format: 'generic-tiff', width: 768, height: 640, seed, mpp: 0.5 })
    paths.push(path)
  }
  await core.dispatch('slide.add', { projectId: project.id, paths })
  const teacher = (await core.dispatch('model.import', { file: onnxFile, name: 'tiny', arch: 'onnx', mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25] })) as ModelRecord
  const fx = (await core.jobs.wait(core.jobs.start('features.extract', project.id, { projectId: project.id, modelId: teacher.id, grid, dtype: 'float32', batchSize: 8, provider: 'cpu' }).id)) as Job
  expect(fx.status, fx.error ?? '').toBe('succeeded')
  work = join(dir, 'work')
  const exp = await exportTrainFolder(core.db, core.models, project.name, { projectId: project.id, student: 'tiny-cnn', teacher: 'tiny', config: TRAIN_JOB_CONFIG, to: work, sbatch: { gpus: 0, cpus: 1 } })
  expect(exp).toMatchObject({ slides: 3, heldOutSlides: ['slide-3'] })
}, 120_000)
afterAll(() => core?.close())

describe('fine-tuning as a cluster job', () => {
  it('exports a folder without the database, runs it headless, resumes a killed run exactly, and imports it as a local run', { timeout: 150_000 }, async () => {
    const submit = readFileSync(join(work, 'submit.sbatch'), 'utf8')
    expect(submit).toContain('#SBATCH --ntasks=1')
    expect(submit).not.toContain('--gres')
    expect(submit).not.toContain('--array')
    expect(submit).toContain('train-job "$PWD"')
    for (const f of readdirSync(work, { recursive: true, withFileTypes: true }).filter((e) => e.isFile())) expect(readFileSync(join(f.parentPath, f.name)).includes(join(dir, 't.db'))).toBe(false)

    const whole = join(dir, 'whole')
    const killed = join(dir, 'killed')
    cpSync(work, whole, { recursive: true })
    cpSync(work, killed, { recursive: true })
    // the uninterrupted reference runs in this process (one child start less); the node runs are CLI children
    expect(await runTrainJob({ dir: whole })).toMatchObject({ status: 'complete', starts: 1 })
    // kill once a main-phase step after the first checkpoint is logged (the next start resumes from step 2 or later)
    const r1 = await trainJob(killed, () => readLog(killed).loss.some((p) => p.phase === 'main' && p.step >= 3))
    expect(r1.killed).toBe(true)
    expect(readTrainState(killed)?.status).toBe('running') // SIGKILL: no chance to write anything
    const st = await trainStatus(killed, { slurm: false })
    expect(st).toMatchObject({ complete: false, state: { status: 'running', starts: 1 }, lastCheckpoint: { phase: 'main' }, resubmit: `cd ${killed} && sbatch submit.sbatch` })
    await expect(importTrainFolder(core, openSlide, killed)).rejects.toThrow(/import refused, nothing was written to the project: the run is not finished \(running.*last checkpoint main step \d+\); re-submit to resume it from its last checkpoint: cd .* && sbatch submit\.sbatch/)
    const r2 = await trainJob(killed)
    expect(r2.code, r2.stderr).toBe(0)
    expect(r2.stderr).toMatch(/main: resumed at step \d+\/6/)
    expect(existsSync(neverDb())).toBe(false)
    expect(readTrainState(killed)).toMatchObject({ status: 'complete', starts: 2 })

    const a = readLog(whole)
    const b = readLog(killed)
    expect(b.loss.filter((p) => p.phase === 'main')).toHaveLength(6)
    expect(b.loss).toEqual(a.loss)
    const resA = JSON.parse(readFileSync(join(whole, 'run', 'result.json'), 'utf8')) as TrainResult
    const resB = JSON.parse(readFileSync(join(killed, 'run', 'result.json'), 'utf8')) as TrainResult
    expect(resB.weightsHash).toBe(resA.weightsHash)
    expect(resB.evaluation.after).toBe(resA.evaluation.after)

    // a re-run of a finished job does nothing
    expect(await runTrainJob({ dir: killed })).toMatchObject({ status: 'complete', alreadyDone: true, starts: 2 })
    expect(readTrainState(killed)?.starts).toBe(2)

    const before = counts()
    const imp = await importTrainFolder(core, openSlide, killed)
    expect(counts()).not.toBe(before)
    expect(imp.outputModel).toBe(`tiny-cnn-mcm-run${imp.runId}`)
    const detail = (await core.dispatch('run.get', { id: imp.runId })) as McmRunDetail
    expect(detail).toMatchObject({ status: 'succeeded', student: 'tiny-cnn', teacher: 'tiny', outputModel: imp.outputModel, projectId: project.id })
    expect(detail.lossCurve.map((p) => [p.phase, p.step, p.loss])).toEqual(b.loss.map((p) => [p.phase, p.step, p.loss]))
    expect(detail.checkpoints.length).toBeGreaterThan(0)
    expect(detail.checkpoints.every((c) => c.path.startsWith(runsRoot(join(dir, 't.db'))))).toBe(true)
    expect(detail.evaluation).toEqual(resB.evaluation)
    const model = core.models.resolve(imp.outputModel)
    expect(model.kind).toBe('finetuned')
    expect(core.models.weightsFileOf(model)).toBe(join(imp.runDir, 'model', 'student.safetensors'))
    expect(model.manifest['source']).toMatchObject({ file: join(imp.runDir, 'model', 'student.safetensors') })
    expect(model.manifest['data']).toMatchObject({ source: 'project', projectId: project.id, heldOutSlides: ['slide-3'], cluster: { workId: imp.workId } })
    // twice is refused
    await expect(importTrainFolder(core, openSlide, killed)).rejects.toThrow(/import refused.*already imported as run/)
  })

  it('refuses a folder of another project, teacher or grid, leaving the database as it was', { timeout: 60_000 }, async () => {
    const done = join(dir, 'whole')
    const variant = (name: string, edit: (w: Record<string, unknown>) => void): string => {
      const d = join(dir, name)
      cpSync(done, d, { recursive: true })
      const file = join(d, 'work.json')
      const w = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>
      edit(w)
      writeFileSync(file, JSON.stringify(w))
      return d
    }
    const before = counts()
    const otherProject = variant('other-project', (w) => (w['project'] = { id: project.id, name: 'another lab project' }))
    await expect(importTrainFolder(core, openSlide, otherProject)).rejects.toThrow(/import refused, nothing was written to the project: exported from project "another lab project"/)
    const otherTeacher = variant('other-teacher', (w) => ((w['teacher'] as Record<string, unknown>)['weightSha256'] = 'ab'.repeat(32)))
    await expect(importTrainFolder(core, openSlide, otherTeacher)).rejects.toThrow(/import refused.*the run's teacher "tiny" \(weights abababababab…\) is not a model of this database/)
    // the project's grid changes under the run (an mpp override set after the export)
    await core.dispatch('slide.setMppOverride', { id: 2, mpp: 0.4 })
    try {
      await expect(importTrainFolder(core, openSlide, done)).rejects.toThrow(/import refused.*slide "slide-2": the project's grid is .* the run used/)
    } finally {
      await core.dispatch('slide.setMppOverride', { id: 2, mpp: null })
    }
    expect(counts()).toBe(before)
    expect(readdirSync(runsRoot(join(dir, 't.db'))).filter((n) => n.startsWith('cluster-') || n.startsWith('.cluster-'))).toHaveLength(1) // the import of the first test only
  })

  it('carries a registered zoo student as a verified bundle; the imported run registers its fine-tuned copy', { timeout: 90_000 }, async () => {
    await tf.setBackend('cpu')
    await saveSafetensorsFile(createModel('smallcnn', { seed: 1, width: 8, depth: 2, inputSize: 16 }), join(dir, 'student.safetensors'))
    await core.dispatch('model.import', { file: join(dir, 'student.safetensors'), name: 'S', arch: 'smallcnn', inputSize: 16 })
    const zoo = join(dir, 'zoo')
    await exportTrainFolder(core.db, core.models, project.name, { projectId: project.id, student: 'S', teacher: 'tiny', config: { ...TRAIN_JOB_CONFIG, maxSteps: 2 }, to: zoo })
    expect(readFileSync(join(zoo, 'submit.sbatch'), 'utf8')).toContain('#SBATCH --gres=gpu:1') // the default: one GPU node
    expect(readdirSync(join(zoo, 'student')).sort()).toEqual(['S.safetensors', 'SHA256SUMS', 'manifest.json'])
    // a damaged bundle stops the node before training, naming the file
    const bad = join(dir, 'zoo-bad')
    cpSync(zoo, bad, { recursive: true })
    writeFileSync(join(bad, 'student', 'S.safetensors'), 'not weights')
    await expect(runTrainJob({ dir: bad })).rejects.toThrow(/zoo-bad\/student: S\.safetensors does not match its SHA-256 in SHA256SUMS/)
    expect(readTrainState(bad)).toMatchObject({ status: 'failed' })
    expect(await runTrainJob({ dir: zoo })).toMatchObject({ status: 'complete', steps: { main: 2 } })
    const imp = await importTrainFolder(core, openSlide, zoo)
    const model = core.models.resolve(imp.outputModel)
    expect(imp.outputModel).toBe(`S-mcm-run${imp.runId}`)
    expect(model.manifest).toMatchObject({ arch: 'smallcnn', kind: 'finetuned', baseModel: 'S', teacher: 'tiny' })
  })
})
