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
import type { FeatureExportReply, FeatureImportFileReport, FeatureSetSummary } from '../../../src-shared/contracts/features'
import h5wasm from 'h5wasm/node'
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

  it('round-trips cached features through TRIDENT HDF5 export/import, and matches STAMP µm coords to the grid', async () => {
    const out = join(dir, 'export')
    const exp = (await core.dispatch('features.export', { projectId: project.id, model: 'tiny', format: 'h5', out })) as FeatureExportReply
    // two slides × two precisions were cached by the tests above
    expect(exp.files.length).toBeGreaterThanOrEqual(2)
    expect(exp.files[0]?.file).toMatch(/5x_32px_0px_overlap\/features_tiny\/s1\.h5$/)
    // a re-run writes nothing and verifies each file it skips against the export manifest
    const again = (await core.dispatch('features.export', { projectId: project.id, model: 'tiny', format: 'h5', out })) as FeatureExportReply
    expect(again.files).toEqual([])
    expect(again.skipped.filter((x) => x.verified).length).toBe(exp.files.length)

    const f32 = exp.files.find((f) => f.slide === 's1') as FeatureExportReply['files'][number]
    const reports = (await core.dispatch('features.import', { projectId: project.id, files: [f32.file], encoder: 'tiny-h5' })) as FeatureImportFileReport[]
    expect(reports[0]).toMatchObject({ ok: true, slide: 's1', layout: 'trident', rows: f32.count, matched: f32.count, unmatchedFileRows: 0, gridPatchesWithoutFeatures: 0, warnings: [] })
    const sets = (await core.dispatch('features.list', { projectId: project.id })) as FeatureSetSummary[]
    const cache = new FeatureCache(core.db)
    const original = cache.readById(sets.find((x) => x.slideName === 's1' && !x.encoderKey.startsWith('imported:') && x.dtype === 'float32')?.id as number)
    const imported = cache.readById(sets.find((x) => x.encoderKey.startsWith('imported:tiny-h5'))?.id as number)
    expect(imported?.coords).toEqual(original?.coords)
    expect(imported?.vectors).toEqual(original?.vectors)

    // STAMP: feats + coords in µm, 3 rows on our grid and 1 off-grid row
    await h5wasm.ready
    const level0Mpp = 0.5
    const stampFile = join(dir, 's2.h5')
    const s2set = sets.find((x) => x.slideName === 's2' && !x.encoderKey.startsWith('imported:'))
    const c = cache.readById(s2set?.id as number)?.coords as Int32Array
    const f = new h5wasm.File(stampFile, 'w')
    f.create_dataset({ name: 'feats', data: new Float32Array(4 * 3).fill(1), shape: [4, 3] })
    const um = [c[0], c[1], c[2], c[3], c[4], c[5], 17, 23].map((v) => (v as number) * level0Mpp)
    f.create_dataset({ name: 'coords', data: new Float64Array(um), shape: [4, 2] }).create_attribute('unit', 'um')
    f.close()
    const [stamp] = (await core.dispatch('features.import', {
      projectId: project.id,
      files: [stampFile],
      encoder: 'stamp-enc',
      grid: { targetMpp: 2, patchSize: 32, overlap: 0, minTissue: 0.1 }
    })) as FeatureImportFileReport[]
    expect(stamp).toMatchObject({ ok: true, slide: 's2', layout: 'stamp', rows: 4, dim: 3, matched: 3, unmatchedFileRows: 1, unmatchedExamples: [[17, 23]] })
    expect(stamp?.gridPatchesWithoutFeatures).toBeGreaterThan(0)

    const [missing] = (await core.dispatch('features.import', { projectId: project.id, files: [join(dir, 'nope.h5')] })) as FeatureImportFileReport[]
    expect(missing).toMatchObject({ ok: false })
    expect(missing?.error).toMatch(/nope\.h5: file not found/)
  })
})
