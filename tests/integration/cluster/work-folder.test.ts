// The cluster work folder without SLURM (in-process, fast): export → extract-shard per task → import equals a local
// extraction bit for bit; re-runs keep finished slides (by hash); a stopped task leaves no half file and is named on
// import; a shard of another grid or model is refused and the cache stays as it was.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createCore, type Core } from '../../../src-main/core/core'
import { writeTestSlide } from '../../../src-main/slides/synth/write-test-slide'
import { openSlide } from '../../../src-main/slides/registry'
import { FeatureCache } from '../../../src-main/store/feature-cache'
import { exportWorkFolder } from '../../../src-main/cluster/export'
import { extractShard } from '../../../src-main/cluster/extract-shard'
import { importWorkFolder } from '../../../src-main/cluster/import'
import { workStatus } from '../../../src-main/cluster/status'
import { readWorkManifest, shardDir, shardManifestPath } from '../../../src-main/cluster/work-folder'
import { openModelEncoder } from '../../../src-main/workers/encoders'
import type { Job, ModelRecord, Project } from '../../../src-shared/domain/types'
import type { ClusterExportReply, ClusterImportReply, ClusterStatusReply } from '../../../src-shared/contracts/cluster'
import { tempDir } from '../../helpers/tmp'

const onnxFile = join(__dirname, '..', '..', 'fixtures', 'models', 'tiny-encoder.onnx')
const grid = { targetMpp: 2, patchSize: 32, overlap: 0, minTissue: 0.1 }
let core: Core
let dir: string
let project: Project
let model: ModelRecord

const files = (d: string): string[] => readdirSync(d, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name))
const allSets = (): string => JSON.stringify(new FeatureCache(core.db).list().map((s) => [s.id, s.count, s.complete, s.encoderKey, s.createdAt]))
const shard = (work: string, task: number, signal?: AbortSignal, log?: (l: string) => void): ReturnType<typeof extractShard> =>
  extractShard({ dir: work, task, openEncoder: openModelEncoder, provider: 'cpu', threads: 1, ...(signal ? { signal } : {}), ...(log ? { log } : {}) })

beforeAll(async () => {
  dir = tempDir()
  core = createCore({ dbPath: join(dir, 't.db'), door: 'cli' })
  project = (await core.dispatch('project.create', { name: 'p' })) as Project
  // not the default tissue method: nodes must cut exactly the project's grid all the same
  await core.dispatch('project.setTissue', { id: project.id, tissue: { method: 'otsu-grey' } })
  const paths: string[] = []
  for (const seed of [1, 2, 3, 4]) {
    const path = join(dir, `slide-${seed}.tiff`)
    await writeTestSlide({ path, format: 'generic-tiff', width: 768 + seed * 128, height: 640, seed, mpp: 0.5 })
    paths.push(path)
  }
  await core.dispatch('slide.add', { projectId: project.id, paths })
  model = (await core.dispatch('model.import', { file: onnxFile, name: 'tiny', arch: 'onnx', mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25] })) as ModelRecord
})
afterAll(() => core?.close())

describe('cluster work folder', () => {
  it('exports a self-contained folder, extracts every shard, and imports vectors bit-equal to a local extraction', async () => {
    const work = join(dir, 'work')
    const exp = await exportWorkFolder(core.db, core.models, {
      projectId: project.id, model: 'tiny', to: work, shards: 3, grid, dtype: 'float32', batchSize: 8, provider: 'cpu',
      sbatch: { partition: 'gpu-a', account: 'lab7', gpus: 1, cpus: 2, time: '01:30:00', mem: '8G', dependency: 'afterok:41' }
    })
    expect(exp).toMatchObject({ slides: 4, shards: [{ task: 0 }, { task: 1 }, { task: 2 }] })
    expect(exp.shards.reduce((a, s) => a + s.slides, 0)).toBe(4)
    const submit = readFileSync(join(work, 'submit.sbatch'), 'utf8')
    for (const line of ['#SBATCH --array=0-2', '#SBATCH --partition=gpu-a', '#SBATCH --account=lab7', '#SBATCH --gres=gpu:1', '#SBATCH --cpus-per-task=2', '#SBATCH --time=01:30:00', '#SBATCH --mem=8G', '#SBATCH --dependency=afterok:41']) {
      expect(submit).toContain(line)
    }
    expect(submit).toContain('features extract-shard "$PWD" --task "$SLURM_ARRAY_TASK_ID"')
    // nothing in the folder points back at the database
    for (const f of files(work)) expect(readFileSync(f).includes(join(dir, 't.db'))).toBe(false)
    expect(readdirSync(join(work, 'model')).sort()).toEqual(['SHA256SUMS', 'manifest.json', 'tiny.onnx'])

    for (const t of [0, 1, 2]) expect(await shard(work, t)).toMatchObject({ status: 'complete', skipped: 0, backend: 'onnxruntime-cpu' })
    expect((await workStatus(work, { verify: true, slurm: false })).complete).toBe(true)
    // TRIDENT layout inside each shard
    expect(files(join(work, 'shards')).filter((f) => f.endsWith('.h5')).every((f) => /5x_32px_0px_overlap\/features_tiny\/slide-\d\.h5$/.test(f))).toBe(true)

    // a local extraction of the same slides, then dropped from the cache so the import has to fill it
    const local = (await core.jobs.wait(core.jobs.start('features.extract', project.id, { projectId: project.id, modelId: model.id, grid, dtype: 'float32', batchSize: 8, provider: 'cpu' }).id)) as Job
    expect(local.result).toMatchObject({ computed: 4 })
    const cache = new FeatureCache(core.db)
    const sets = cache.list({ completeOnly: true })
    const reference = new Map(sets.map((s) => [s.slideChecksum, cache.readById(s.id)]))
    for (const s of sets) cache.delete(s)

    const imp = await importWorkFolder(core.db, openSlide, work)
    expect(imp).toMatchObject({ complete: true, rerun: null, incompleteTasks: [], failedSlides: [] })
    expect(imp.imported).toHaveLength(4)
    for (const s of cache.list({ completeOnly: true })) {
      const got = cache.readById(s.id)
      const want = reference.get(s.slideChecksum)
      expect(s.encoderKey).toBe(want?.info.encoderKey)
      expect(s.gridKey).toBe(want?.info.gridKey)
      // the grid record travels whole (its project-wide name and tissue method, not just the key)
      expect(s.producedBy['grid']).toEqual(want?.info.producedBy['grid'])
      expect(Buffer.from((got?.vectors as Float32Array).buffer).equals(Buffer.from((want?.vectors as Float32Array).buffer))).toBe(true)
      expect(got?.coords).toEqual(want?.coords)
    }
    // as if extracted locally: a local run now finds everything cached
    const again = (await core.jobs.wait(core.jobs.start('features.extract', project.id, { projectId: project.id, modelId: model.id, grid, dtype: 'float32', provider: 'cpu' }).id)) as Job
    expect(again.result).toMatchObject({ computed: 0, skipped: 4 })
  })

  it('re-runs keep finished slides verified by hash, and recompute a changed file', async () => {
    const work = join(dir, 'work')
    expect(await shard(work, 0)).toMatchObject({ computed: 0, patchesEncoded: 0 })
    const m = JSON.parse(readFileSync(shardManifestPath(work, 0), 'utf8')) as { slides: { file: string }[] }
    const h5 = join(shardDir(work, 0), m.slides[0]?.file as string)
    const bytes = readFileSync(h5)
    bytes[bytes.length - 1] = (bytes[bytes.length - 1] as number) ^ 0xff
    writeFileSync(h5, bytes)
    const r = await shard(work, 0)
    expect(r.computed).toBe(1)
    expect(r.skipped).toBe(m.slides.length - 1)
  })

  it('a task stopped mid-way leaves no half file, and import names it with the sbatch line that re-runs it', async () => {
    const work = join(dir, 'work-stop')
    await exportWorkFolder(core.db, core.models, { projectId: project.id, model: 'tiny', to: work, shards: 2, grid, dtype: 'float32', batchSize: 2, provider: 'cpu' })
    const plan = readWorkManifest(work).shards
    const two = plan.find((s) => s.slides.length === 2) as (typeof plan)[number]
    const other = plan.find((s) => s !== two) as (typeof plan)[number]
    await shard(work, other.task)
    const controller = new AbortController()
    let slides = 0
    // stop when the second slide starts (the first is finished and recorded)
    await expect(shard(work, two.task, controller.signal, () => ++slides === 2 && controller.abort())).rejects.toThrow()
    const m = JSON.parse(readFileSync(shardManifestPath(work, two.task), 'utf8')) as { status: string; slides: unknown[] }
    expect(m.status).toBe('cancelled')
    expect(m.slides).toHaveLength(1)
    const left = files(shardDir(work, two.task))
    expect(left.filter((f) => f.endsWith('.h5'))).toHaveLength(1)
    expect(left.filter((f) => /\.tmp-/.test(f))).toEqual([])

    const before = allSets()
    const imp = await importWorkFolder(core.db, openSlide, work)
    expect(imp.complete).toBe(false)
    expect(imp.incompleteTasks.map((t) => t.task)).toEqual([two.task])
    expect(imp.rerun).toBe(`sbatch --chdir=${work} --array=${two.task} ${join(work, 'submit.sbatch')}`)
    expect(allSets()).toBe(before) // everything it holds was cached by the first test already
    expect(await shard(work, two.task)).toMatchObject({ status: 'complete', computed: 1, skipped: 1 })
    expect((await importWorkFolder(core.db, openSlide, work)).complete).toBe(true)
  })

  it('refuses a shard cut on another grid or with another model, and leaves the cache unchanged', async () => {
    const work = join(dir, 'work')
    const other = join(dir, 'work-other-grid')
    await exportWorkFolder(core.db, core.models, { projectId: project.id, model: 'tiny', to: other, shards: 3, grid: { ...grid, targetMpp: 1 }, dtype: 'float32', provider: 'cpu' })
    await shard(other, 1)
    const mixed = join(dir, 'work-mixed')
    cpSync(work, mixed, { recursive: true })
    rmSync(shardDir(mixed, 1), { recursive: true })
    cpSync(shardDir(other, 1), shardDir(mixed, 1), { recursive: true })
    const cache = new FeatureCache(core.db)
    for (const s of cache.list()) cache.delete(s)
    const before = allSets()
    await expect(importWorkFolder(core.db, openSlide, mixed)).rejects.toThrow(/import refused, nothing was written.*shard task 1 was cut on another grid \(1 µm\/px.*than this work \(2 µm\/px/)
    expect(allSets()).toBe(before)

    const foreignModel = join(dir, 'work-foreign-model')
    cpSync(work, foreignModel, { recursive: true })
    const mf = shardManifestPath(foreignModel, 2)
    writeFileSync(mf, readFileSync(mf, 'utf8').replace(/"modelSha256": "[0-9a-f]{64}"/, `"modelSha256": "${'ab'.repeat(32)}"`))
    await expect(importWorkFolder(core.db, openSlide, foreignModel)).rejects.toThrow(/import refused.*shard task 2 was extracted with model weights abababababab…, but this work's model "tiny" has/)
    expect(allSets()).toBe(before)
  })

  it('--force replaces an untouched work folder, never one holding shard results', async () => {
    const o = { projectId: project.id, model: 'tiny', grid, provider: 'cpu' as const }
    const fresh = join(dir, 'work-fresh')
    const first = await exportWorkFolder(core.db, core.models, { ...o, to: fresh })
    await expect(exportWorkFolder(core.db, core.models, { ...o, to: fresh })).rejects.toThrow(/already exists/)
    expect((await exportWorkFolder(core.db, core.models, { ...o, to: fresh, force: true })).workId).not.toBe(first.workId)
    await expect(exportWorkFolder(core.db, core.models, { ...o, to: join(dir, 'work'), force: true })).rejects.toThrow(/refusing to replace it, even with --force/)
    expect(readWorkManifest(join(dir, 'work')).shards).toHaveLength(3)
  })

  it('the same through the API (cluster.export / status / import), with refusals as conflict errors', async () => {
    const to = join(dir, 'work-api')
    const exp = (await core.dispatch('cluster.export', { projectId: project.id, model: 'tiny', to, shards: 2, grid, dtype: 'float32', provider: 'cpu', sbatch: { partition: 'p1', gpus: 2 } })) as ClusterExportReply
    expect(exp.shards).toHaveLength(2)
    expect(readFileSync(join(to, 'submit.sbatch'), 'utf8')).toContain('#SBATCH --gres=gpu:2')
    await expect(core.dispatch('cluster.export', { projectId: project.id, model: 'tiny', to, sbatch: { partition: 'x; rm -rf /' } })).rejects.toThrow(/partition/)
    const pending = (await core.dispatch('cluster.status', { dir: to })) as ClusterStatusReply
    expect(pending.tasks.map((t) => t.state)).toEqual(['pending', 'pending'])
    expect(pending.rerun).toBe(`sbatch --chdir=${to} --array=0-1 ${join(to, 'submit.sbatch')}`)
    const partial = (await core.dispatch('cluster.import', { dir: to })) as ClusterImportReply
    expect(partial).toMatchObject({ complete: false, imported: [], incompleteTasks: [{ task: 0 }, { task: 1 }] })
    await expect(core.dispatch('cluster.import', { dir: join(dir, 'work-mixed') })).rejects.toMatchObject({ code: 'conflict' })
    await expect(core.dispatch('cluster.status', { dir: join(dir, 'nowhere') })).rejects.toMatchObject({ code: 'bad_request' })
  })

  it('a node that cannot read a slide, or reads other bytes under its path, fails the slide; --path-map re-runs it', async () => {
    const work = join(dir, 'work-paths')
    await exportWorkFolder(core.db, core.models, { projectId: project.id, model: 'tiny', to: work, shards: 1, slideIds: [1, 2], grid, dtype: 'float32', provider: 'cpu' })
    const mirror = join(dir, 'mirror')
    mkdirSync(mirror)
    cpSync(join(dir, 'slide-1.tiff'), join(mirror, 'slide-1.tiff'))
    cpSync(join(dir, 'slide-1.tiff'), join(mirror, 'slide-2.tiff')) // other bytes under slide-2's name
    const run = (to: string): ReturnType<typeof extractShard> => extractShard({ dir: work, task: 0, openEncoder: openModelEncoder, provider: 'cpu', threads: 1, pathMap: { from: dir, to } })
    const failed = await run(mirror)
    expect(failed).toMatchObject({ status: 'failed', computed: 1 })
    expect(failed.failed).toEqual([{ slide: 'slide-2', error: expect.stringMatching(/slide-2\.tiff: content differs from the exported slide "slide-2"/) }])
    const imp = await importWorkFolder(core.db, openSlide, work)
    expect(imp).toMatchObject({ complete: false, failedSlides: [{ task: 0, slide: 'slide-2' }], rerun: `sbatch --chdir=${work} --array=0 ${join(work, 'submit.sbatch')}` })
    cpSync(join(dir, 'slide-2.tiff'), join(mirror, 'slide-2.tiff'))
    expect(await run(mirror)).toMatchObject({ status: 'complete', computed: 1, skipped: 1 })
    expect((await importWorkFolder(core.db, openSlide, work)).complete).toBe(true)
    expect(readFileSync(join(work, 'verify.sbatch'), 'utf8')).toContain('cluster status "$PWD" --verify')
  })
})
