// Two grids cached for the same slides (min-tissue 0.1 and 0.5): evaluation picks one by its project-wide name,
// export writes each grid under its own folder (CLI --grid-key too), and features delete removes one grid only.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { createCore, type Core } from '../../../src-main/core/core'
import { writeTestSlide } from '../../../src-main/slides/synth/write-test-slide'
import { getOrComputeGrid } from '../../../src-main/tissue/grid-store'
import { FeatureCache } from '../../../src-main/store/feature-cache'
import { bagsFromCache } from '../../../src-main/eval/bag-source'
import type { GridParams } from '../../../src-shared/domain/grid'
import type { Project, Slide } from '../../../src-shared/domain/types'
import type { FeatureDeleteReply, FeatureExportReply, FeatureSetSummary } from '../../../src-shared/contracts/features'
import { tempDir } from '../../helpers/tmp'

const root = join(__dirname, '..', '..', '..')
const enc = 'imported:toy'
const gridA: GridParams = { targetMpp: 2, patchSize: 32, overlap: 0, minTissue: 0.1 }
const gridB: GridParams = { ...gridA, minTissue: 0.5 }
let core: Core
let dir: string
let project: Project
let slides: Slide[]
const names: string[] = []

beforeAll(async () => {
  dir = tempDir()
  core = createCore({ dbPath: join(dir, 't.db'), door: 'cli' })
  project = (await core.dispatch('project.create', { name: 'p' })) as Project
  const paths: string[] = []
  for (const seed of [1, 2]) {
    const path = join(dir, `s${seed}.tiff`)
    await writeTestSlide({ path, format: 'generic-tiff', width: 1024, height: 768, seed, mpp: 0.5 })
    paths.push(path)
  }
  await core.dispatch('slide.add', { projectId: project.id, paths })
  slides = (await core.dispatch('slide.list', { projectId: project.id })) as Slide[]
  const cache = new FeatureCache(core.db)
  for (const [g, grid] of [gridA, gridB].entries()) {
    for (const slide of slides) {
      const { info, patches } = await getOrComputeGrid(core.db, slide, grid)
      names[g] = info.name as string
      const vectors = new Float32Array(patches.length * 4).map((_, i) => g * 100 + i)
      const coords = new Int32Array(patches.flatMap((p) => [p.x, p.y]))
      cache.writeSlide(
        { slideChecksum: slide.checksum as string, gridKey: info.key, encoderKey: enc, dtype: 'float32' },
        { dim: 4, vectors, coords, slideName: slide.name, producedBy: { grid: info } }
      )
    }
  }
})
afterAll(() => core?.close())

describe('two grids in one project', () => {
  it('names each grid once for the whole project, min-tissue included', async () => {
    expect(names[0]).not.toBe(names[1])
    expect(names[0]).toMatch(/^2mpp_32px_ov0_mt0\.1_/)
    const sets = (await core.dispatch('features.list', { projectId: project.id })) as FeatureSetSummary[]
    expect(sets).toHaveLength(4)
    expect(new Set(sets.map((s) => s.grid))).toEqual(new Set(names))
    expect(new Set(sets.map((s) => s.gridKey)).size).toBe(4) // the per-slide keys differ slide to slide
  })

  it('evaluation loads the bags of the grid named by --grid-key, and says which names exist when none is given', () => {
    const labelled = slides.map((s, i) => ({ slideId: s.id, name: s.name, path: s.path, checksum: s.checksum, label: String(i), patientId: s.name, fold: null }))
    expect(() => bagsFromCache(core.db, enc, labelled)).toThrow(/pass a grid key \(--grid-key <grid name>\)/)
    expect(() => bagsFromCache(core.db, enc, labelled)).toThrow(names[0] as string)
    const b = bagsFromCache(core.db, enc, labelled, names[1])
    expect(b.bags).toHaveLength(2)
    expect(b.bags[0]?.features[0]).toBe(100) // grid B's vectors start at 100
    expect(b.source).toContain(names[1])
  })

  it('exports both grids to distinct paths, and a later export of the other grid is not reported as existing', async () => {
    const all = (await core.dispatch('features.export', { projectId: project.id, model: enc, format: 'h5', out: join(dir, 'all') })) as FeatureExportReply
    expect(all.files).toHaveLength(4)
    expect(new Set(all.files.map((f) => f.file)).size).toBe(4)
    expect(all.skipped).toEqual([])

    const out = join(dir, 'one')
    const a = (await core.dispatch('features.export', { projectId: project.id, model: enc, format: 'h5', out, gridKey: names[0] })) as FeatureExportReply
    expect(a.files.map((f) => f.grid)).toEqual([names[0], names[0]])
    expect(a.files[0]?.file).toContain(join(out, names[0] as string, '5x_32px_0px_overlap', 'features_toy'))
    // the second grid through the CLI, into the same folder
    const cli = await promisify(execFile)(
      process.execPath,
      [join(root, 'bin', 'tessera.mjs'), '--db', join(dir, 't.db'), 'features', 'export', '--project', 'p', '--model', enc, '--out', out, '--grid-key', names[1] as string, '--json'],
      { cwd: root }
    ).catch((e: { stdout: string; stderr: string }) => e)
    const b = JSON.parse(cli.stdout) as FeatureExportReply
    expect(b.skipped).toEqual([])
    expect(b.files.map((f) => f.grid)).toEqual([names[1], names[1]])
    for (const f of [...a.files, ...b.files]) expect(existsSync(f.file)).toBe(true)
  })

  it('features delete removes one grid and keeps the other', async () => {
    await expect(core.dispatch('features.delete', { projectId: project.id, gridKey: 'no-such-grid', confirm: true })).rejects.toThrow(/no cached feature set/)
    const r = (await core.dispatch('features.delete', { projectId: project.id, gridKey: names[0], confirm: true })) as FeatureDeleteReply
    expect(r.deleted.map((d) => d.grid)).toEqual([names[0], names[0]])
    const left = (await core.dispatch('features.list', { projectId: project.id })) as FeatureSetSummary[]
    expect(left.map((s) => s.grid)).toEqual([names[1], names[1]])
    const labelled = slides.map((s, i) => ({ slideId: s.id, name: s.name, path: s.path, checksum: s.checksum, label: String(i), patientId: s.name, fold: null }))
    expect(bagsFromCache(core.db, enc, labelled).bags).toHaveLength(2) // no longer ambiguous
  })
})
