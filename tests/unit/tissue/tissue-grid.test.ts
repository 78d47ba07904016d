// Tissue mask, slide-global grid geometry, patch reading, grid storage round trip and grid keys.
import { describe, expect, it } from 'vitest'
import { computeTissueMask, maskFromRgb, packMask, unpackMask, tissueFraction } from '../../../src-main/tissue/tissue-mask'
import { gridGeometry, gridPatches, level0Mpp, packPatches, unpackPatches, GridError } from '../../../src-main/tissue/grid'
import { readPatch } from '../../../src-main/tissue/read-patch'
import { computeGrid, DEFAULT_GRID_PARAMS } from '../../../src-main/tissue/grid-store'
import { DEFAULT_TISSUE_PARAMS } from '../../../src-main/tissue/tissue-mask'
import { otsuThreshold, open, close } from '../../../src-main/tissue/morphology'
import { FakeSlide } from '../tiles/fake-slide'

const BLOB = { x: 1200, y: 900, r: 500 }

describe('tissue mask', () => {
  it('finds tissue in the blob and none on glass', async () => {
    const slide = await FakeSlide.create({ width: 3000, height: 2000, levels: 4, blobs: [BLOB] })
    const mask = await computeTissueMask(slide, { ...DEFAULT_TISSUE_PARAMS, longSide: 512 })
    expect(mask.width).toBe(512)
    expect(mask.downsample).toBeCloseTo(3000 / 512)
    const at = (x0: number, y0: number): number => mask.data[Math.floor(y0 / mask.downsample) * mask.width + Math.floor(x0 / mask.downsample)]!
    expect(at(BLOB.x, BLOB.y)).toBe(1)
    expect(at(BLOB.x + 400, BLOB.y)).toBe(1)
    expect(at(100, 100)).toBe(0)
    expect(at(2900, 1900)).toBe(0)
    // area ≈ πr² / (W·H)
    expect(tissueFraction(mask)).toBeCloseTo((Math.PI * BLOB.r ** 2) / (3000 * 2000), 1)
    expect(mask.threshold).toBeGreaterThanOrEqual(DEFAULT_TISSUE_PARAMS.minThreshold)
  })

  it('gives an empty mask for blank glass (threshold floor)', () => {
    const w = 64
    const data = Buffer.alloc(w * w * 3)
    for (let i = 0; i < data.length; i++) data[i] = 240 + ((i * 7) % 5) // grey glass with faint noise
    const mask = maskFromRgb({ width: w, height: w, data }, 1)
    expect(tissueFraction(mask)).toBe(0)
  })

  it('morphology removes specks and fills pinholes; Otsu splits two modes; bit packing round-trips', () => {
    const w = 20
    const m = new Uint8Array(w * w)
    for (let y = 5; y < 15; y++) for (let x = 5; x < 15; x++) m[y * w + x] = 1
    m[10 * w + 10] = 0 // pinhole
    m[1 * w + 1] = 1 // speck
    const cleaned = open(close(m, w, w, 1), w, w, 1)
    expect(cleaned[10 * w + 10]).toBe(1)
    expect(cleaned[1 * w + 1]).toBe(0)
    expect(cleaned[5 * w + 5]).toBe(1)
    const t = otsuThreshold(new Uint8Array([10, 12, 11, 10, 200, 210, 205, 190]))
    expect(t).toBeGreaterThanOrEqual(12)
    expect(t).toBeLessThan(190)
    expect([...unpackMask(packMask(cleaned), cleaned.length)]).toEqual([...cleaned])
  })
})

describe('slide-global grid', () => {
  it('has the target-mpp footprint, reads from the nearest higher-resolution level, aligns to (0,0)', async () => {
    const slide = await FakeSlide.create({ width: 3000, height: 2000, levels: 4, mpp: 0.25, blobs: [BLOB] })
    const { info, patches } = await computeGrid(slide, 'ck', null, DEFAULT_GRID_PARAMS, { ...DEFAULT_TISSUE_PARAMS, longSide: 512 })
    expect(info.level0Mpp).toBe(0.25)
    expect(info.patchSizeLevel0).toBe(448) // 224 px × 0.5 / 0.25
    expect(info.stepLevel0).toBe(448)
    expect(info.readLevel).toBe(1) // downsample 2 = exactly the target
    expect(info.readDownsample).toBeCloseTo(1)
    expect([info.cols, info.rows]).toEqual([Math.ceil(3000 / 448), Math.ceil(2000 / 448)])
    expect(patches.length).toBeGreaterThan(3)
    for (const p of patches) {
      expect(p.x).toBe(p.col * 448)
      expect(p.y).toBe(p.row * 448)
      expect(p.tissue).toBeGreaterThanOrEqual(DEFAULT_GRID_PARAMS.minTissue)
    }
    // the patch containing the blob centre is full tissue
    const centre = patches.find((p) => p.col === Math.floor(BLOB.x / 448) && p.row === Math.floor(BLOB.y / 448))
    expect(centre?.tissue).toBeGreaterThan(0.95)
    // no patch far from the blob
    expect(patches.some((p) => p.col === 6 && p.row === 0)).toBe(false)
    // indices are positions
    patches.forEach((p, i) => expect(p.index).toBe(i))

    const img = await readPatch(slide, info, centre!)
    expect([img.width, img.height, img.data.length]).toEqual([224, 224, 224 * 224 * 4])
    const [r, g, b, a] = img.data.subarray((112 * 224 + 112) * 4)
    expect(a).toBe(255)
    expect(r! - g!).toBeGreaterThan(60)
    expect(b! - g!).toBeGreaterThan(40)
  })

  it('overlap shrinks the step; a lower target mpp reads level 0 with extra downsample', async () => {
    const slide = await FakeSlide.create({ width: 3000, height: 2000, levels: 3, mpp: 0.25 })
    const g1 = gridGeometry(slide.metadata, 0.25, { targetMpp: 0.5, patchSize: 224, overlap: 32, minTissue: 0.5 }, 'ck', DEFAULT_TISSUE_PARAMS)
    expect(g1.patchSizeLevel0).toBe(448)
    expect(g1.stepLevel0).toBe(384)
    const g2 = gridGeometry(slide.metadata, 0.25, { targetMpp: 0.4, patchSize: 256, overlap: 0, minTissue: 0.5 }, 'ck', DEFAULT_TISSUE_PARAMS)
    expect(g2.readLevel).toBe(0)
    expect(g2.readDownsample).toBeCloseTo(1.6)
    const g3 = gridGeometry(slide.metadata, 0.25, { targetMpp: 2.0, patchSize: 224, overlap: 0, minTissue: 0.5 }, 'ck', DEFAULT_TISSUE_PARAMS)
    expect(g3.readLevel).toBe(2) // downsample 4 ≤ 8
    expect(g3.readDownsample).toBeCloseTo(2)
  })

  it('keys grids by everything that defines them', async () => {
    const slide = await FakeSlide.create({ width: 1000, height: 1000, levels: 2, mpp: 0.25 })
    const p = DEFAULT_GRID_PARAMS
    const k = (ck: string, params = p, mpp = 0.25, t = DEFAULT_TISSUE_PARAMS): string => gridGeometry(slide.metadata, mpp, params, ck, t).key
    expect(k('a')).toBe(k('a'))
    expect(k('a')).not.toBe(k('b'))
    expect(k('a')).not.toBe(k('a', { ...p, minTissue: 0.5 }))
    expect(k('a')).not.toBe(k('a', p, 0.26))
    expect(k('a')).not.toBe(k('a', p, 0.25, { ...DEFAULT_TISSUE_PARAMS, openRadius: 3 }))
  })

  it('needs mpp from metadata or an override, with a clear error', async () => {
    const slide = await FakeSlide.create({ width: 1000, height: 800, levels: 1, mpp: null, path: '/data/no-mpp.tif' })
    expect(() => level0Mpp(slide.path, slide.metadata, null)).toThrow(GridError)
    expect(() => level0Mpp(slide.path, slide.metadata, null)).toThrow(/no-mpp\.tif.*override/)
    expect(level0Mpp(slide.path, slide.metadata, 0.3)).toBe(0.3)
    await expect(computeGrid(slide, 'ck', null, DEFAULT_GRID_PARAMS)).rejects.toThrow(/microns-per-pixel/)
  })

  it('stores patches compactly and reads them back', () => {
    const patches = [
      { index: 0, x: 0, y: 448, col: 0, row: 1, tissue: 0.5 },
      { index: 1, x: 896, y: 448, col: 2, row: 1, tissue: 1 }
    ]
    expect(unpackPatches(packPatches(patches))).toEqual(patches)
    expect(() => unpackPatches(Buffer.alloc(7))).toThrow(/multiple of 20/)
  })

  it('counts parts outside the slide as background', () => {
    const mask = { width: 10, height: 10, downsample: 10, data: new Uint8Array(100).fill(1), params: DEFAULT_TISSUE_PARAMS, threshold: 20 }
    const info = gridGeometry(
      { vendor: 'x', reader: 'x', width: 100, height: 100, levels: [{ width: 100, height: 100, downsample: 1, tileWidth: null, tileHeight: null }], mppX: 1, mppY: 1, objectivePower: null, properties: {}, associatedImages: [] },
      1,
      { targetMpp: 1, patchSize: 40, overlap: 0, minTissue: 0 },
      'ck',
      DEFAULT_TISSUE_PARAMS
    )
    const patches = gridPatches(info, mask)
    expect(patches).toHaveLength(9) // 3×3 cells cover 120×120
    expect(patches.find((p) => p.col === 2 && p.row === 2)?.tissue).toBeCloseTo(0.25) // 20×20 of 40×40 inside
  })
})
