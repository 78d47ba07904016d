// Slides service end to end on generated slides: add a folder (with a DICOM series folder, a corrupt, a truncated and
// a non-slide file), list/labels/mpp override, Deep Zoom resources (pass-through bytes = JPEGTables + stored tile),
// grid + GeoJSON.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdirSync, readFileSync, writeFileSync, openSync, readSync, closeSync } from 'node:fs'
import { join } from 'node:path'
import sharp from 'sharp'
import { fromFile } from 'geotiff'
import { tempDir } from '../../helpers/tmp'
import { createCore, type Core } from '../../../src-main/core/core'
import { writeTestSlide } from '../../../src-main/slides/synth/write-test-slide'
import type { AddSlidesResult, GridReply } from '../../../src-shared/contracts/slides'
import type { Slide } from '../../../src-shared/domain/types'
import type { FeatureCollection } from '../../../src-shared/domain/geojson'

let dir: string
let core: Core
let projectId: number
let generic: Slide

/** JPEGTables and the stored bytes of tile (col,row) of IFD `ifd`, read with geotiff.js (an independent parser). */
async function storedTile(path: string, ifd: number, col: number, row: number): Promise<Buffer> {
  const tiff = await fromFile(path)
  const img = await tiff.getImage(ifd)
  const fd = img.fileDirectory as unknown as { loadValue(name: string): Promise<ArrayLike<number>> }
  const tables = Buffer.from(Uint8Array.from(await fd.loadValue('JPEGTables')))
  const offsets = await fd.loadValue('TileOffsets')
  const counts = await fd.loadValue('TileByteCounts')
  const i = row * Math.ceil(img.getWidth() / img.getTileWidth()) + col
  const tile = Buffer.alloc(counts[i] as number)
  const fdn = openSync(path, 'r')
  readSync(fdn, tile, 0, tile.length, offsets[i] as number)
  closeSync(fdn)
  await tiff.close?.()
  return Buffer.concat([tables.subarray(0, tables.length - 2), tile.subarray(2)])
}

beforeAll(async () => {
  dir = tempDir('slides-service-')
  const slides = join(dir, 'cohort')
  mkdirSync(join(slides, 'nested'), { recursive: true })
  await writeTestSlide({ path: join(slides, 'a-generic.tif'), format: 'generic-tiff', width: 2048, height: 1536, seed: 11 })
  await writeTestSlide({ path: join(slides, 'nested', 'b.svs'), format: 'svs', width: 1024, height: 768, seed: 12 })
  await writeTestSlide({ path: join(slides, 'e-series'), format: 'dicom', width: 512, height: 384, seed: 13 }) // a folder of .dcm
  const whole = readFileSync(join(slides, 'a-generic.tif'))
  writeFileSync(join(slides, 'c-truncated.tif'), whole.subarray(0, 4000))
  const garbage = Buffer.alloc(3000, 0x5a)
  garbage.write('II*\0\x08\0\0\0', 0, 'latin1')
  writeFileSync(join(slides, 'd-corrupt.tif'), garbage)
  writeFileSync(join(slides, 'notes.txt'), 'not a slide\n')
  core = createCore({ dbPath: join(dir, 'tessera.db'), door: 'cli' })
  projectId = ((await core.dispatch('project.create', { name: 'p' })) as { id: number }).id
})

afterAll(() => core?.close())

describe('slide.add', () => {
  it('adds readable slides of a folder tree, records corrupt ones with clear errors, skips non-slides', async () => {
    const r = (await core.dispatch('slide.add', { projectId, paths: [join(dir, 'cohort')] })) as AddSlidesResult
    expect(r.added.map((s) => s.name).sort()).toEqual(['a-generic', 'b', 'e-series'])
    expect(r.added.find((s) => s.name === 'e-series')).toMatchObject({ vendor: expect.stringMatching(/dicom/i), width: 512 })
    expect(r.failed.map((s) => s.name).sort()).toEqual(['c-truncated', 'd-corrupt'])
    for (const f of r.failed) {
      expect(f.status).toBe('error')
      expect(f.error).toContain(f.path) // names the file
      expect(f.error!.length).toBeGreaterThan(f.path.length + 10) // and the problem
    }
    expect(r.skipped.map((s) => s.path.split('/').pop())).toEqual(['notes.txt'])
    generic = r.added.find((s) => s.name === 'a-generic')!
    expect(generic).toMatchObject({ status: 'ok', width: 2048, height: 1536, vendor: 'generic-tiff' })
    expect(generic.checksum).toMatch(/^ht1:[0-9a-f]{64}$/)
    expect(generic.mppX).toBeCloseTo(0.499, 3)
    const list = (await core.dispatch('slide.list', { projectId })) as Slide[]
    expect(list).toHaveLength(5)
    // adding again refreshes rows instead of duplicating them
    await core.dispatch('slide.add', { projectId, paths: [join(dir, 'cohort', 'a-generic.tif')] })
    expect(((await core.dispatch('slide.list', { projectId })) as Slide[]).length).toBe(5)
  })

  it('records an explicitly named missing file as an error row', async () => {
    const r = (await core.dispatch('slide.add', { projectId, paths: [join(dir, 'missing.svs')] })) as AddSlidesResult
    expect(r.failed[0]?.error).toMatch(/missing\.svs: no such file/)
    await core.dispatch('slide.remove', { id: r.failed[0]!.id })
  })

  it('sets labels and the mpp override, and reports file metadata', async () => {
    const labelled = (await core.dispatch('slide.setLabel', { id: generic.id, label: 'tumour', patientId: 'P01' })) as Slide
    expect(labelled).toMatchObject({ label: 'tumour', patientId: 'P01' })
    const info = (await core.dispatch('slide.info', { path: generic.path })) as { levels: unknown[]; contentKey: string }
    expect(info.levels.length).toBeGreaterThan(1)
    expect(info.contentKey).toBe(generic.checksum)
    await expect(core.dispatch('slide.info', { path: join(dir, 'cohort', 'notes.txt') })).rejects.toThrow(/notes\.txt: unrecognised/)
  })
})

describe('Deep Zoom resources', () => {
  it('serves the DZI, passes stored tiles through byte for byte, renders other levels, and a thumbnail', async () => {
    const signal = new AbortController().signal
    const dzi = await core.resources.get(`/slides/${generic.id}.dzi`, new URLSearchParams(), signal)
    expect(dzi?.body.toString()).toContain('<Size Width="2048" Height="1536"/>')
    // maxZ = 11: z=11 is level 0 and z=10 is level 1 (downsample 2) of the generic pyramid
    for (const [z, ifd] of [
      [11, 0],
      [10, 1]
    ] as const) {
      const tile = await core.resources.get(`/slides/${generic.id}_files/${z}/2_1.jpeg`, new URLSearchParams(), signal)
      expect(tile?.contentType).toBe('image/jpeg')
      expect(tile!.body.equals(await storedTile(generic.path, ifd, 2, 1))).toBe(true)
    }
    const low = await core.resources.get(`/slides/${generic.id}_files/8/0_0.jpeg`, new URLSearchParams(), signal)
    const meta = await sharp(low!.body).metadata()
    expect([meta.width, meta.height]).toEqual([256, 192])
    expect(await core.resources.get(`/slides/${generic.id}_files/8/1_0.jpeg`, new URLSearchParams(), signal)).toBeNull()
    expect(await core.resources.get(`/slides/999999.dzi`, new URLSearchParams(), signal)).toBeNull()
    const thumb = await core.resources.get(`/slides/${generic.id}/thumbnail.jpeg`, new URLSearchParams('size=200'), signal)
    const tm = await sharp(thumb!.body).metadata()
    expect([tm.width, tm.height]).toEqual([200, 150])
  })
})

describe('grid', () => {
  it('computes, stores and reuses the slide-global grid; exports GeoJSON', async () => {
    const g = (await core.dispatch('slide.grid', { id: generic.id })) as GridReply
    expect(g.info.params).toEqual({ targetMpp: 0.5, patchSize: 224, overlap: 0, minTissue: 0.25 })
    expect(g.info.patchSizeLevel0).toBe(Math.round((224 * 0.5) / generic.mppX!))
    expect(g.count).toBeGreaterThan(0)
    expect(g.count).toBeLessThan(g.info.cols * g.info.rows) // glass is dropped
    g.x.forEach((x, i) => expect(x).toBe(g.col[i]! * g.info.stepLevel0))
    const again = (await core.dispatch('slide.grid', { id: generic.id })) as GridReply
    expect(again).toEqual(g)
    expect(core.db.prepare('SELECT count(*) AS n FROM grids WHERE slide_id = ?').get(generic.id)).toEqual({ n: 1 })

    const overridden = (await core.dispatch('slide.setMppOverride', { id: generic.id, mpp: 0.25 })) as Slide
    expect(overridden.mppOverride).toBe(0.25)
    const g2 = (await core.dispatch('slide.grid', { id: generic.id })) as GridReply
    expect(g2.info.level0Mpp).toBe(0.25)
    expect(g2.info.patchSizeLevel0).toBe(448)
    expect(g2.info.key).not.toBe(g.info.key)

    const tissue = (await core.dispatch('slide.tissueGeoJSON', { id: generic.id })) as FeatureCollection
    expect(tissue.features[0]?.geometry.type).toBe('MultiPolygon')
    const grid = (await core.dispatch('slide.gridGeoJSON', { id: generic.id })) as FeatureCollection
    expect(grid.features).toHaveLength(g2.count)
    expect(grid.features[0]?.properties).toMatchObject({ objectType: 'tile', col: g2.col[0], row: g2.row[0] })
  })

  it('refuses grids of unreadable slides with a clear error', async () => {
    const bad = ((await core.dispatch('slide.list', { projectId })) as Slide[]).find((s) => s.status === 'error')!
    await expect(core.dispatch('slide.grid', { id: bad.id })).rejects.toThrow(/not readable/)
  })
})
