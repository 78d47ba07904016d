// The tissue method as a per-project choice: default combined, project.setTissue changes new grids (and their names),
// slide.list shows each slide's mask coverage, a QuPath GeoJSON drives the geojson method, and migration 7 pins
// projects that already hold grids to the saturation mask they were built with.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createCore, type Core } from '../../../src-main/core/core'
import { openDatabase } from '../../../src-main/store/database'
import { migrations } from '../../../src-main/store/migrations/index'
import { writeTestSlide } from '../../../src-main/slides/synth/write-test-slide'
import type { Project, Slide } from '../../../src-shared/domain/types'
import type { GridReply, TissueSummary } from '../../../src-shared/contracts/slides'
import { tempDir } from '../../helpers/tmp'

let core: Core
let dir: string
let project: Project
let slide: Slide
const grid = { targetMpp: 0.5, patchSize: 64, overlap: 0, minTissue: 0.5 }

beforeAll(async () => {
  dir = tempDir()
  core = createCore({ dbPath: join(dir, 't.db'), door: 'cli' })
  project = (await core.dispatch('project.create', { name: 'ihc' })) as Project
  const path = join(dir, 'ihc.tiff')
  await writeTestSlide({ path, format: 'generic-tiff', width: 1536, height: 1024, seed: 7, mpp: 0.5, stain: 'ihc' })
  await core.dispatch('slide.add', { projectId: project.id, paths: [path] })
  slide = ((await core.dispatch('slide.list', { projectId: project.id })) as Slide[])[0] as Slide
})
afterAll(() => core?.close())

describe('per-project tissue method', () => {
  it('defaults to combined, and the project choice changes the grid, its name and the coverage shown in the slide list', async () => {
    expect(project.tissue).toBeNull()
    expect(slide.tissueCoverage).toBeNull()
    const combined = (await core.dispatch('slide.grid', { id: slide.id, ...grid })) as GridReply
    expect(combined.info.tissueMethod).toBe('combined')
    const listed = ((await core.dispatch('slide.list', { projectId: project.id })) as Slide[])[0] as Slide
    expect(listed.tissueMethod).toBe('combined')
    expect(listed.tissueCoverage).toBeGreaterThan(0.2)

    const pinned = (await core.dispatch('project.setTissue', { id: project.id, tissue: { method: 'otsu-saturation' } })) as Project
    expect(pinned.tissue).toEqual({ method: 'otsu-saturation' })
    const sat = (await core.dispatch('slide.grid', { id: slide.id, ...grid })) as GridReply
    expect(sat.info.name).not.toBe(combined.info.name)
    expect(sat.info.key).not.toBe(combined.info.key)
    expect(sat.count).toBeLessThan(0.5 * combined.count) // pale IHC under the saturation mask
    const after = ((await core.dispatch('slide.list', { projectId: project.id })) as Slide[])[0] as Slide
    expect(after.tissueMethod).toBe('otsu-saturation')
    expect(after.tissueCoverage).toBeLessThan(0.5 * (listed.tissueCoverage as number))

    // a request's own method wins over the project's
    const t = (await core.dispatch('slide.tissue', { id: slide.id, tissue: { method: 'otsu-grey', darknessThreshold: 30 } })) as TissueSummary
    expect(t).toMatchObject({ method: 'otsu-grey', threshold: 30 })
    // …and a one-off mask of another method does not replace the project's in the slide list
    expect((((await core.dispatch('slide.list', { projectId: project.id })) as Slide[])[0] as Slide).tissueMethod).toBe('otsu-saturation')
    await expect(core.dispatch('project.setTissue', { id: project.id, tissue: { method: 'otsu' } })).rejects.toThrow(/method/)
    expect(((await core.dispatch('project.setTissue', { id: project.id, tissue: null })) as Project).tissue).toBeNull()
  })

  it('builds grids from an imported QuPath GeoJSON under the geojson method', async () => {
    await core.dispatch('project.setTissue', { id: project.id, tissue: { method: 'geojson' } })
    const other = (await core.dispatch('project.create', { name: 'no-annotation' })) as Project
    expect(other.tissue).toBeNull()
    await expect(core.dispatch('slide.grid', { id: slide.id, ...grid })).rejects.toThrow(/no imported tissue annotation.*tissue-import/)
    const file = join(dir, 'tissue.geojson')
    // level-0 square 256..768 × 256..512: 512×256 px = 8×4 patches of 64 px at 0.5 µm/px (level-0 mpp 0.5)
    const ring = [[256, 256], [768, 256], [768, 512], [256, 512], [256, 256]]
    writeFileSync(file, JSON.stringify({ type: 'FeatureCollection', features: [{ type: 'Feature', geometry: { type: 'Polygon', coordinates: [ring] }, properties: { objectType: 'annotation', classification: { name: 'Tissue' } } }] }))
    const imp = (await core.dispatch('slide.importTissue', { id: slide.id, file })) as TissueSummary & { polygons: number }
    expect(imp).toMatchObject({ method: 'geojson', polygons: 1 })
    expect(imp.coverage).toBeCloseTo((512 * 256) / (1536 * 1024), 2)
    const g = (await core.dispatch('slide.grid', { id: slide.id, ...grid })) as GridReply
    expect(g.count).toBe(32)
    expect(Math.min(...g.x)).toBe(256)
    expect(Math.max(...g.y)).toBe(448)
    // the UI sends the picked file's text and name (a browser gives no path)
    const viaText = (await core.dispatch('slide.importTissue', { id: slide.id, geojsonText: readFileSync(file, 'utf8'), fileName: 'qupath.geojson' })) as TissueSummary & { polygons: number }
    expect(viaText).toMatchObject({ method: 'geojson', polygons: 1, coverage: imp.coverage })
    await expect(core.dispatch('slide.importTissue', { id: slide.id, geojsonText: '{"type":"FeatureCollection","features":[]}', fileName: 'empty.geojson' })).rejects.toThrow(/empty\.geojson: holds no Polygon/)
    await expect(core.dispatch('slide.importTissue', { id: slide.id })).rejects.toThrow(/exactly one of file or geojsonText/)
    await expect(core.dispatch('slide.importTissue', { id: slide.id, file: join(dir, 'missing.geojson') })).rejects.toThrow(/missing\.geojson.*not found/)
    writeFileSync(join(dir, 'bad.geojson'), '{"type":"FeatureCollection","features":[]}')
    await expect(core.dispatch('slide.importTissue', { id: slide.id, file: join(dir, 'bad.geojson') })).rejects.toThrow(/bad\.geojson: holds no Polygon/)
  })

  it('migration 7 pins projects that already hold grids to the saturation mask; others get the default', () => {
    const file = join(tempDir(), 'old.db')
    const db = openDatabase(file, { migrations: migrations.slice(0, 6) })
    db.prepare("INSERT INTO projects (id, name) VALUES (1, 'old'), (2, 'empty')").run()
    db.prepare("INSERT INTO slides (id, project_id, path, name, status) VALUES (1, 1, '/x.svs', 'x', 'ok')").run()
    db.prepare("INSERT INTO grids (slide_id, grid_key, info, tissue_params, patch_count, patches) VALUES (1, 'g', '{}', '{}', 0, x'')").run()
    db.close()
    const migrated = openDatabase(file)
    const rows = migrated.prepare('SELECT id, tissue FROM projects ORDER BY id').all()
    migrated.close()
    expect(rows).toEqual([
      { id: 1, tissue: '{"method":"otsu-saturation"}' },
      { id: 2, tissue: null }
    ])
  })
})
