// features.extract end to end on generated slides with the tiny ONNX teacher: vectors cached and equal to a direct
// encode, rerun recomputes nothing, a job killed on its second slide resumes without redoing the first.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { join } from 'node:path'
import { createCore, type Core } from '../../../src-main/core/core'
import { writeTestSlide } from '../../../src-main/slides/synth/write-test-slide'
import { openSlide } from '../../../src-main/slides/registry'
import { getOrComputeGrid } from '../../../src-main/tissue/grid-store'
import { readPatch } from '../../../src-main/tissue/read-patch'
import { openOnnxEncoder } from '../../../src-main/interop/onnx-encoder'
import { toNchwBatch } from '../../../src-main/models/preprocess'
import { FeatureCache } from '../../../src-main/store/feature-cache'
import type { Job, ModelRecord, Project, Slide } from '../../../src-shared/domain/types'
import { tempDir } from '../../helpers/tmp'

const onnxFile = join(__dirname, '..', '..', 'fixtures', 'models', 'tiny-encoder.onnx')
const grid = { targetMpp: 2, patchSize: 32, overlap: 0, minTissue: 0.1 }
let core: Core
let dir: string
let project: Project
let model: ModelRecord
let slides: Slide[]

beforeAll(async () => {
  dir = tempDir()
  core = createCore({ dbPath: join(dir, 't.db'), door: 'cli' })
  project = (await core.dispatch('project.create', { name: 'p' })) as Project
  const paths: string[] = []
  for (const seed of [1, 2]) {
    const path = join(dir, `s${seed}.tiff`)
    await writeTestSlide({ path, format: 'generic-tiff', width: 1024 + seed * 256, height: 768, seed, mpp: 0.5 })
    paths.push(path)
  }
  await core.dispatch('slide.add', { projectId: project.id, paths })
  slides = (await core.dispatch('slide.list', { projectId: project.id })) as Slide[]
  model = (await core.dispatch('model.import', { file: onnxFile, name: 'tiny', arch: 'onnx', mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25] })) as ModelRecord
})
afterAll(() => core?.close())

async function runJob(params: Record<string, unknown>): Promise<Job> {
  return core.jobs.wait(core.jobs.start('features.extract', project.id, params).id)
}

describe('features.extract', () => {
  it('caches one set per slide whose vectors equal a direct encode, and a rerun recomputes nothing', async () => {
    expect(slides.filter((s) => s.status === 'ok')).toHaveLength(2)
    const first = await runJob({ projectId: project.id, modelId: model.id, slideIds: [slides[0]?.id], grid, dtype: 'float32', batchSize: 8, provider: 'cpu' })
    expect(first.error).toBeNull()
    expect(first.result).toMatchObject({ computed: 1, skipped: 0, backend: 'onnxruntime-cpu' })
    const encoded = first.result?.['patchesEncoded'] as number
    expect(encoded).toBeGreaterThan(10)

    const sets = new FeatureCache(core.db).list({ completeOnly: true })
    expect(sets).toHaveLength(1)
    const data = new FeatureCache(core.db).readById(sets[0]?.id as number)
    expect(data?.info.count).toBe(encoded)
    expect(data?.info.dim).toBe(24)

    // direct encode of patch 3 through the same grid, reader and preprocessing
    const slide = slides[0] as Slide
    const source = await openSlide(slide.path)
    const g = await getOrComputeGrid(core.db, slide, grid, { source })
    const img = await readPatch(source, g.info, g.patches[3] as { x: number; y: number })
    await source.close()
    expect([data?.coords[6], data?.coords[7]]).toEqual([g.patches[3]?.x, g.patches[3]?.y])
    const enc = await openOnnxEncoder(onnxFile)
    const direct = await enc.encode(toNchwBatch([img], { inputSize: 32, mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25] }), 1)
    await enc.close()
    const cached = data?.vectors.subarray(3 * 24, 4 * 24) as Float32Array
    direct.forEach((v, i) => expect(Math.abs(v - (cached[i] as number))).toBeLessThan(1e-5))

    const rerun = await runJob({ projectId: project.id, modelId: model.id, slideIds: [slides[0]?.id], grid, dtype: 'float32', provider: 'cpu' })
    expect(rerun.result).toMatchObject({ computed: 0, skipped: 1, patchesEncoded: 0 })
  })

  it('resumes a job killed on its second slide from the last finished slide', async () => {
    const params = { projectId: project.id, modelId: model.id, grid, dtype: 'float16', batchSize: 2, readers: 1, provider: 'cpu' }
    const job = core.jobs.start('features.extract', project.id, params)
    const killed = new Promise<void>((resolve) => {
      const off = core.bus.on((e) => {
        if (e.type === 'job.progress' && e.jobId === job.id && e.message?.startsWith('slide 2/2')) {
          off()
          core.jobs.shutdown() // SIGKILL the job process, as a crash would
          resolve()
        }
      })
    })
    await killed
    const interrupted = await core.jobs.wait(job.id)
    expect(interrupted.status).toBe('interrupted')
    const cache = new FeatureCache(core.db)
    expect(cache.list({ completeOnly: true }).filter((s) => s.dtype === 'float16')).toHaveLength(1)
    const resumed = await core.jobs.wait(core.jobs.resume(job.id).id)
    expect(resumed.status).toBe('succeeded')
    expect(resumed.result).toMatchObject({ computed: 1, skipped: 1 })
    expect(cache.list({ completeOnly: true }).filter((s) => s.dtype === 'float16')).toHaveLength(2)
  })
})
