// Feature extraction on a real SLURM (single node, started by tests/helpers/slurm.ts): `tessera cluster export`, a
// 3-task `sbatch` array, one task scancel'ed while it runs, `tessera cluster import` naming it with the exact re-run
// line, that line run, and the imported features bit-equal (float32, ONNX on CPU) to a local extraction of the same
// slides; then one MCM+KD run as a one-task job (`cluster export-train`, sbatch, `cluster import`). Skipped, with the
// reason printed, only where SLURM is not installed or the tests do not run as root.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { execFile } from 'node:child_process'
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { createCore, type Core } from '../../../src-main/core/core'
import { writeTestSlide } from '../../../src-main/slides/synth/write-test-slide'
import { FeatureCache } from '../../../src-main/store/feature-cache'
import { workStatus } from '../../../src-main/cluster/status'
import { importWorkFolder } from '../../../src-main/cluster/import'
import { openSlide } from '../../../src-main/slides/registry'
import type { Job, ModelRecord, Project } from '../../../src-shared/domain/types'
import type { McmRunDetail } from '../../../src-shared/contracts/train'
import { tempDir } from '../../helpers/tmp'
import { slurmUnavailable, startSlurm, type SlurmCluster } from '../../helpers/slurm'

const run = promisify(execFile)
const root = join(__dirname, '..', '..', '..')
const onnxFile = join(root, 'tests', 'fixtures', 'models', 'tiny-encoder.onnx')
const unavailable = slurmUnavailable()
if (unavailable) console.warn(`SLURM cluster test skipped: ${unavailable}`)

let dir: string
let cluster: SlurmCluster | null = null
let paths: string[] = []
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

async function tessera(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run(process.execPath, [join(root, 'bin', 'tessera.mjs'), '--db', join(dir, 't.db'), ...args], { cwd: root, maxBuffer: 1 << 24 })
    return { code: 0, stdout: r.stdout, stderr: r.stderr }
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string }
    return { code: x.code, stdout: x.stdout, stderr: x.stderr }
  }
}

async function setUpProject(dbFile: string): Promise<{ core: Core; project: Project; model: ModelRecord }> {
  const core = createCore({ dbPath: dbFile, door: 'cli' })
  const project = (await core.dispatch('project.create', { name: 'p' })) as Project
  await core.dispatch('slide.add', { projectId: project.id, paths })
  const model = (await core.dispatch('model.import', { file: onnxFile, name: 'tiny', arch: 'onnx', mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25] })) as ModelRecord
  return { core, project, model }
}

/** Wait until no job of this cluster is queued or running (bounded). */
async function drained(c: SlurmCluster, limitMs: number): Promise<void> {
  const until = Date.now() + limitMs
  while ((await c.cmd('/usr/bin/squeue', ['-h', '-o', '%i %T'])).trim()) {
    if (Date.now() > until) throw new Error(`jobs still queued after ${limitMs / 1000} s: ${await c.cmd('/usr/bin/squeue', [])}`)
    await sleep(250)
  }
}

describe.skipIf(unavailable !== null)('tessera cluster on a single-node SLURM', () => {
  beforeAll(async () => {
    dir = tempDir('slurm-')
    cluster = await startSlurm()
    // one larger slide (its task runs long enough to be cancelled mid-way) and four small ones
    const sizes = [[2048, 1536], [640, 512], [768, 512], [640, 640], [768, 640]] as const
    paths = []
    for (const [i, [w, h]] of sizes.entries()) {
      const path = join(dir, `slide-${i}.tiff`)
      await writeTestSlide({ path, format: 'generic-tiff', width: w, height: h, seed: i + 1, mpp: 0.5 })
      paths.push(path)
    }
  })
  afterAll(async () => {
    await cluster?.stop()
  })

  it('runs a 3-task array, names a cancelled task on import, re-runs it, and imports features equal to a local run', async () => {
    const c = cluster as SlurmCluster
    const laps: string[] = []
    let t0 = Date.now()
    const lap = (what: string): void => {
      laps.push(`${what} ${((Date.now() - t0) / 1000).toFixed(1)} s`)
      t0 = Date.now()
    }
    const main = await setUpProject(join(dir, 't.db'))
    main.core.close()
    const work = join(dir, 'work')
    const grid = ['--mpp', '0.5', '--patch-size', '32', '--min-tissue', '0.1']
    const exp = await tessera(['cluster', 'export', '--project', 'p', '--model', 'tiny', '--to', work, '--shards', '3', '--dtype', 'float32', '--batch', '4', '--readers', '1', '--provider', 'cpu', '--cpus', '1', '--mem', '1G', '--time', '00:05:00', ...grid, '--json'])
    expect(exp.stderr).toBe('')
    expect(exp.code).toBe(0)
    const shards = (JSON.parse(exp.stdout) as { shards: { task: number; patches: number }[] }).shards
    expect(shards).toHaveLength(3)
    lap('export')
    const victim = shards.reduce((a, b) => (b.patches > a.patches ? b : a)).task

    const jobId = (await c.cmd('/usr/bin/sbatch', ['--parsable', `--chdir=${work}`, join(work, 'submit.sbatch')])).trim()
    expect(jobId).toMatch(/^\d+$/)
    // cancel the big task once it has started extracting (its manifest appears before the model and slides load)
    const manifest = join(work, 'shards', `task-00${victim}`, 'manifest.json')
    for (let t = Date.now(); !existsSync(manifest); await sleep(50)) if (Date.now() - t > 40_000) throw new Error(`task ${victim} did not start: ${await c.cmd('/usr/bin/squeue', [])}`)
    await c.cmd('/usr/bin/scancel', [`${jobId}_${victim}`])
    await drained(c, 45_000)
    const state = JSON.parse(readFileSync(manifest, 'utf8')) as { status: string }
    expect(['cancelled', 'running']).toContain(state.status) // running: killed before its SIGTERM handler was installed
    laps.push(`(task ${victim} left ${state.status})`)
    const leftovers = readdirSync(join(work, 'shards'), { recursive: true }).map(String)
    expect(leftovers.filter((f) => /\.tmp-/.test(f))).toEqual([])

    lap('array + scancel')
    const partial = await tessera(['cluster', 'import', work])
    expect(partial.code).toBe(1)
    expect(partial.stderr).toContain(`task ${victim} incomplete`)
    const line = `sbatch --chdir=${work} --array=${victim} ${join(work, 'submit.sbatch')}`
    expect(partial.stderr).toContain(line)

    lap('partial import')
    await run('bash', ['-c', line], { env: c.env })
    await drained(c, 45_000)
    lap('re-run')
    // the CLI import was exercised above; this one runs in-process (one tsx start less on a slow machine)
    const mainCore = createCore({ dbPath: join(dir, 't.db'), door: 'cli' })
    const local = await setUpProject(join(dir, 'local.db'))
    try {
      const report = await importWorkFolder(mainCore.db, openSlide, work)
      expect(report).toMatchObject({ complete: true, rerun: null, incompleteTasks: [], failedSlides: [], notInDatabase: [] })
      expect(report.imported.length + report.alreadyCached.length).toBe(5)
      process.env['SLURM_CONF'] = c.env['SLURM_CONF']
      try {
        expect(await workStatus(work, { verify: true })).toMatchObject({ complete: true, squeue: [], tasks: [{ state: 'complete' }, { state: 'complete' }, { state: 'complete' }] })
      } finally {
        delete process.env['SLURM_CONF']
      }
      lap('import + status')

      // a local extraction of the same slides in a second database: every vector bit-equal
      const job = (await local.core.jobs.wait(
        local.core.jobs.start('features.extract', local.project.id, { projectId: local.project.id, modelId: local.model.id, grid: { targetMpp: 0.5, patchSize: 32, overlap: 0, minTissue: 0.1 }, dtype: 'float32', batchSize: 4, readers: 1, provider: 'cpu' }).id
      )) as Job
      expect(job.result).toMatchObject({ computed: 5 })
      const a = new FeatureCache(mainCore.db)
      const b = new FeatureCache(local.core.db)
      const sets = a.list({ completeOnly: true })
      expect(sets).toHaveLength(5)
      for (const s of sets) {
        const got = a.readById(s.id)
        const want = b.read({ slideChecksum: s.slideChecksum, gridKey: s.gridKey, encoderKey: s.encoderKey, dtype: 'float32' })
        expect(want, `local set of ${s.slideName}`).not.toBeNull()
        expect(Buffer.from((got?.vectors as Float32Array).buffer).equals(Buffer.from((want?.vectors as Float32Array).buffer)), s.slideName ?? '').toBe(true)
        expect(got?.coords).toEqual(want?.coords)
      }
      lap('local extraction + compare')
      console.log(`SLURM cluster test: ${laps.join(', ')}`)
    } finally {
      mainCore.close()
      local.core.close()
    }
  })

  it('runs a fine-tuning work folder as a one-task sbatch job (no GPU: --gpus 0) and imports the run', { timeout: 240_000 }, async () => {
    // uses the float32 teacher features of "tiny" the test above imported into t.db
    const c = cluster as SlurmCluster
    const t0 = Date.now()
    const work = join(dir, 'work-train')
    const config = join(dir, 'train.json')
    writeFileSync(config, JSON.stringify({ seed: 3, backend: 'cpu', window: { size: 3 }, batchWindows: 2, maxSteps: 4, checkpointEvery: 2, control: false, probe: { patches: 0 }, heldOut: { maxWindows: 2 }, inspection: { windows: 1 }, grid: { targetMpp: 0.5, patchSize: 32, minTissue: 0.1 }, data: { source: 'project', teacherDtype: 'float32' } }))
    const exp = await tessera(['cluster', 'export-train', '--project', 'p', '--student', 'tiny-cnn', '--teacher', 'tiny', '--config', config, '--to', work, '--gpus', '0', '--cpus', '1', '--mem', '2G', '--time', '00:10:00', '--json'])
    expect(exp.code, exp.stderr).toBe(0)
    const submit = readFileSync(join(work, 'submit.sbatch'), 'utf8')
    expect(submit).not.toContain('--gres')
    expect(submit).toContain('#SBATCH --ntasks=1')
    const jobId = (await c.cmd('/usr/bin/sbatch', ['--parsable', `--chdir=${work}`, join(work, 'submit.sbatch')])).trim()
    expect(jobId).toMatch(/^\d+$/)
    await drained(c, 150_000)
    const state = JSON.parse(readFileSync(join(work, 'run', 'state.json'), 'utf8')) as { status: string; slurmJobId: string }
    expect(state, readdirSync(join(work, 'logs')).map((f) => readFileSync(join(work, 'logs', f), 'utf8')).join('\n')).toMatchObject({ status: 'complete', slurmJobId: jobId })
    const imp = await tessera(['cluster', 'import', work, '--json'])
    expect(imp.code, imp.stderr).toBe(0)
    const { runId, outputModel } = JSON.parse(imp.stdout) as { runId: number; outputModel: string }
    const core = createCore({ dbPath: join(dir, 't.db'), door: 'cli' })
    try {
      const detail = (await core.dispatch('run.get', { id: runId })) as McmRunDetail
      expect(detail).toMatchObject({ status: 'succeeded', outputModel, student: 'tiny-cnn', teacher: 'tiny' })
      expect(detail.lossCurve.filter((p) => p.phase === 'main')).toHaveLength(4)
      expect(detail.checkpoints.length).toBeGreaterThan(0)
    } finally {
      core.close()
    }
    console.log(`SLURM fine-tuning job: export, sbatch, import in ${((Date.now() - t0) / 1000).toFixed(1)} s`)
  })
})
