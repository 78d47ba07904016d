// features export on a full disk (issue 17 item 11), on a small tmpfs made by the test: no damaged file ever lands
// under its final name, ENOSPC is reported as such naming the file, and a re-run verifies what it skips against the
// export manifest (size + SHA-256): a damaged file of ours is rewritten, a foreign one is left alone and reported.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { existsSync, mkdirSync, readdirSync, rmSync, truncateSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { createCore, type Core } from '../../../src-main/core/core'
import { writeTestSlide } from '../../../src-main/slides/synth/write-test-slide'
import { writeTridentFile, type TridentAttrs } from '../../../src-main/interop/hdf5'
import { FEATURES_MANIFEST } from '../../../src-main/interop/export-manifest'
import type { ModelRecord, Project } from '../../../src-shared/domain/types'
import type { FeatureExportReply } from '../../../src-shared/contracts/features'
import { mountSmallFs, type SmallFs } from '../../helpers/small-fs'
import { tempDir } from '../../helpers/tmp'

const onnxFile = join(__dirname, '..', '..', 'fixtures', 'models', 'tiny-encoder.onnx')
let core: Core
let project: Project
let fs: SmallFs

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]))
}

beforeAll(async () => {
  const dir = tempDir()
  core = createCore({ dbPath: join(dir, 't.db'), door: 'cli' })
  project = (await core.dispatch('project.create', { name: 'p' })) as Project
  const path = join(dir, 's1.tiff')
  await writeTestSlide({ path, format: 'generic-tiff', width: 1024, height: 768, seed: 1, mpp: 0.5 })
  await core.dispatch('slide.add', { projectId: project.id, paths: [path] })
  const model = (await core.dispatch('model.import', { file: onnxFile, name: 'tiny', arch: 'onnx', mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25] })) as ModelRecord
  const job = await core.jobs.wait(
    core.jobs.start('features.extract', project.id, { projectId: project.id, modelId: model.id, grid: { targetMpp: 2, patchSize: 32, overlap: 0, minTissue: 0.1 }, dtype: 'float32', batchSize: 8, provider: 'cpu' }).id
  )
  expect(job.error).toBeNull()
  fs = mountSmallFs(1024 * 1024)
})
afterAll(() => {
  core?.close()
  fs?.unmount()
})

const exportTo = (out: string): Promise<FeatureExportReply> => core.dispatch('features.export', { projectId: project.id, model: 'tiny', format: 'h5', out }) as Promise<FeatureExportReply>

describe('features export on a full disk', () => {
  it('fails with ENOSPC naming the file and leaves nothing under the final name; a re-run with space exports and then verifies', async (ctx) => {
    if (!fs.dir) return ctx.skip(fs.reason)
    const out = join(fs.dir, 'export')
    const filler = fs.fill(16 * 1024)
    await expect(exportTo(out)).rejects.toThrow(/s1\.h5: no space left on device \(ENOSPC\)/)
    expect(walk(fs.dir).filter((f) => f.endsWith('.h5') || f.includes('.tmp-'))).toEqual([])

    rmSync(filler)
    const first = await exportTo(out)
    expect(first.files).toHaveLength(1)
    const file = first.files[0]!.file
    expect(existsSync(join(out, FEATURES_MANIFEST))).toBe(true)
    const again = await exportTo(out)
    expect(again.files).toEqual([])
    expect(again.skipped).toEqual([expect.objectContaining({ verified: true, reason: expect.stringMatching(/size and SHA-256 match/) })])

    // a damaged file of ours (truncated) is not trusted: it is rewritten and the reply says so
    truncateSync(file, 100)
    const repaired = await exportTo(out)
    expect(repaired.files).toEqual([expect.objectContaining({ file, note: expect.stringMatching(/damaged earlier export/) })])

    // a file the manifest does not list is left alone and reported
    rmSync(join(out, FEATURES_MANIFEST))
    const foreign = await exportTo(out)
    expect(foreign.files).toEqual([])
    expect(foreign.failed).toEqual([expect.objectContaining({ file, error: expect.stringMatching(/not listed in the export manifest.*not replaced/) })])
  })

  it('a write that runs out of space half-way is caught (libhdf5 does not raise it) and no file is left', async (ctx) => {
    if (!fs.dir) return ctx.skip(fs.reason)
    const out = join(fs.dir, 'midwrite')
    rmSync(out, { recursive: true, force: true })
    const filler = fs.fill(512 * 1024)
    const file = join(out, 'a.h5')
    const attrs: TridentAttrs = { patchSize: 224, patchSizeLevel0: 448, overlap: 0, targetMagnification: 20, level0Magnification: 40, level0Width: 4000, level0Height: 3000, name: 'a', encoder: 'tiny', mpp: 0.5, weightHash: 'ab', appVersion: '0' }
    mkdirSync(dirname(file), { recursive: true })
    const n = 4000 // 4000×64 float32 = 1 MiB: cannot fit in the ~0.5 MiB left
    await expect(writeTridentFile(file, new Float32Array(n * 64).fill(1), 64, new Array(n * 2).fill(0), attrs, { skipSpaceCheck: true })).rejects.toThrow(
      /a\.h5: no space left on device \(ENOSPC\)/
    )
    expect(readdirSync(out)).toEqual([])
    rmSync(filler)
  })
})
