// Tissue methods on a synthetic H&E slide and a synthetic pale IHC slide (haematoxylin + DAB, nearly grey): the
// saturation mask drops the IHC tissue, the default (combined) keeps both; fixed thresholds; QuPath GeoJSON masks.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { join } from 'node:path'
import { writeTestSlide } from '../../../src-main/slides/synth/write-test-slide'
import { openSlide } from '../../../src-main/slides/registry'
import type { SlideSource } from '../../../src-main/slides/slide-source'
import { computeGrid } from '../../../src-main/tissue/grid-store'
import { DEFAULT_TISSUE_PARAMS, LEGACY_TISSUE_PARAMS, maskFromRgb, tissueFraction, tissueParamsFor } from '../../../src-main/tissue/tissue-mask'
import { parseTissueGeoJSON, rasterizePolygons } from '../../../src-main/tissue/annotation-mask'
import type { GridParams, TissueMethod } from '../../../src-shared/domain/grid'
import { tempDir } from '../../helpers/tmp'

const grid: GridParams = { targetMpp: 0.5, patchSize: 64, overlap: 0, minTissue: 0.5 }
const slides: Record<'he' | 'ihc', SlideSource> = {} as Record<'he' | 'ihc', SlideSource>

beforeAll(async () => {
  const dir = tempDir()
  for (const stain of ['he', 'ihc'] as const) {
    const path = join(dir, `${stain}.tiff`)
    await writeTestSlide({ path, format: 'generic-tiff', width: 1536, height: 1024, seed: 7, mpp: 0.5, stain })
    slides[stain] = await openSlide(path)
  }
})
afterAll(async () => {
  for (const s of Object.values(slides)) await s.close()
})

const kept = async (stain: 'he' | 'ihc', method: TissueMethod): Promise<number> =>
  (await computeGrid(slides[stain], 'ck', null, grid, method === 'otsu-saturation' ? LEGACY_TISSUE_PARAMS : tissueParamsFor({ method }))).patches.length

describe('tissue methods on H&E and pale IHC', () => {
  it('saturation drops pale IHC tissue; grey and combined keep it; the default is combined and keeps H&E too', async () => {
    const ihc = { sat: await kept('ihc', 'otsu-saturation'), grey: await kept('ihc', 'otsu-grey'), combined: await kept('ihc', 'combined'), od: await kept('ihc', 'otsu-od') }
    const he = { sat: await kept('he', 'otsu-saturation'), grey: await kept('he', 'otsu-grey'), combined: await kept('he', 'combined'), od: await kept('he', 'otsu-od') }
    expect(he.od).toBeGreaterThanOrEqual(0.95 * he.sat)
    expect(he.sat).toBeGreaterThan(50)
    // the bug: the saturation mask keeps a fraction of the IHC tissue the grey mask keeps
    expect(ihc.sat).toBeLessThan(0.5 * ihc.grey)
    expect(ihc.combined).toBeGreaterThanOrEqual(0.95 * ihc.grey)
    expect(ihc.od).toBeGreaterThanOrEqual(0.95 * ihc.grey) // optical density keeps it too
    expect(he.combined).toBeGreaterThanOrEqual(0.95 * he.sat)
    // both slides hold the same tissue layout (same seed): the default finds about as much on each
    expect(ihc.combined).toBeGreaterThanOrEqual(0.9 * he.combined)
    expect(DEFAULT_TISSUE_PARAMS.method).toBe('combined')
    const byDefault = await computeGrid(slides.ihc, 'ck', null, grid)
    expect(byDefault.patches.length).toBe(ihc.combined)
    expect(byDefault.info.name).toMatch(/_combined-[0-9a-f]{8}$/)
  })

  it('the saturation method keeps the legacy parameters (and so the grid keys of existing projects)', () => {
    expect(tissueParamsFor({ method: 'otsu-saturation' })).toEqual(LEGACY_TISSUE_PARAMS)
    expect(JSON.stringify(tissueParamsFor({ method: 'otsu-saturation' }))).toBe(
      '{"method":"otsu-saturation","longSide":2048,"blurRadius":2,"minThreshold":20,"closeRadius":2,"openRadius":2,"version":1}'
    )
  })

  it('fixed thresholds replace Otsu, and blank glass stays empty under every method', () => {
    const w = 64
    const img = { width: w, height: w, data: Buffer.alloc(w * w * 3) }
    for (let i = 0; i < img.data.length; i++) img.data[i] = 240 + ((i * 7) % 5)
    for (const method of ['otsu-saturation', 'otsu-grey', 'otsu-od', 'combined'] as const) expect(tissueFraction(maskFromRgb(img, 1, tissueParamsFor({ method })))).toBe(0)
    // a fixed darkness threshold below the glass's darkness (≈13) calls everything tissue
    expect(tissueFraction(maskFromRgb(img, 1, tissueParamsFor({ method: 'otsu-grey', darknessThreshold: 5 })))).toBe(1)
    expect(maskFromRgb(img, 1, tissueParamsFor({ method: 'otsu-grey', darknessThreshold: 5 })).threshold).toBe(5)
  })
})

describe('tissue GeoJSON (QuPath export)', () => {
  const square = (x: number, y: number, s: number): [number, number][] => [[x, y], [x + s, y], [x + s, y + s], [x, y + s], [x, y]]
  const qupath = {
    type: 'FeatureCollection',
    features: [
      // 400² square with a 200² hole
      { type: 'Feature', geometry: { type: 'Polygon', coordinates: [square(0, 0, 400), square(100, 100, 200)] }, properties: { objectType: 'annotation', classification: { name: 'Tissue' } } },
      { type: 'Feature', geometry: { type: 'MultiPolygon', coordinates: [[square(600, 0, 200)], [square(600, 600, 200)]] }, properties: { objectType: 'annotation' } },
      // other classes and points are not tissue
      { type: 'Feature', geometry: { type: 'Polygon', coordinates: [square(0, 600, 400)] }, properties: { classification: { name: 'Tumor' } } },
      { type: 'Feature', geometry: { type: 'Point', coordinates: [5, 5] }, properties: {} }
    ]
  }

  it('rasterises polygons with holes at mask resolution', () => {
    const polys = parseTissueGeoJSON(JSON.stringify(qupath), 'a.geojson')
    expect(polys).toHaveLength(3)
    const mask = rasterizePolygons(polys, 100, 100, 10) // 1000² level-0 px
    const ones = mask.reduce((n, v) => n + v, 0)
    expect(ones).toBe(40 * 40 - 20 * 20 + 2 * 20 * 20)
    expect(mask[5 * 100 + 5]).toBe(1)
    expect(mask[20 * 100 + 20]).toBe(0) // in the hole
    expect(mask[70 * 100 + 20]).toBe(0) // the Tumor polygon
    expect(mask[70 * 100 + 70]).toBe(1)
  })

  it('names the file and the problem for bad input', () => {
    expect(() => parseTissueGeoJSON('{', 'bad.geojson')).toThrow(/bad\.geojson: is not valid JSON/)
    expect(() => parseTissueGeoJSON('{"type":"FeatureCollection","features":[]}', 'empty.geojson')).toThrow(/empty\.geojson: holds no Polygon/)
    expect(() => parseTissueGeoJSON('{"type":"Polygon","coordinates":[[[0,0],[1,"x"],[2,2]]]}', 'p.geojson')).toThrow(/p\.geojson: a polygon point/)
  })
})
