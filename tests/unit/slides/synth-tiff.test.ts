// Synthetic slide generator + npm TIFF reader: determinism, metadata, pixels close to the source raster.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { openSlide, sniffSlide } from '../../../src-main/slides/registry'
import { SlideError } from '../../../src-main/slides/slide-source'
import { writePyramidalTiff } from '../../../src-main/slides/synth/pyramid'
import { generateTissueRaster } from '../../../src-main/slides/synth/texture'
import { writeTestSlide } from '../../../src-main/slides/synth/write-test-slide'
import { tempDir } from '../../helpers/tmp'

/** PSNR (dB) of an RGBA region against the RGB source raster window. */
function psnr(rgba: Uint8Array, src: { width: number; data: Uint8Array }, x: number, y: number, w: number, h: number): number {
  let se = 0
  for (let j = 0; j < h; j++) {
    for (let i = 0; i < w; i++) {
      for (let c = 0; c < 3; c++) {
        const d = rgba[(j * w + i) * 4 + c]! - src.data[((y + j) * src.width + x + i) * 3 + c]!
        se += d * d
      }
    }
  }
  return 10 * Math.log10((255 * 255) / (se / (w * h * 3)))
}

describe('synthetic slides', () => {
  const dir = tempDir('synth-')

  it('is deterministic from the seed', async () => {
    const a = await writeTestSlide({ path: join(dir, 'a.svs'), format: 'svs', width: 640, height: 480, seed: 3 })
    const b = await writeTestSlide({ path: join(dir, 'b.svs'), format: 'svs', width: 640, height: 480, seed: 3 })
    const c = await writeTestSlide({ path: join(dir, 'c.svs'), format: 'svs', width: 640, height: 480, seed: 4 })
    expect(readFileSync(a.path).equals(readFileSync(b.path))).toBe(true)
    expect(readFileSync(a.path).equals(readFileSync(c.path))).toBe(false)
  })

  it('has tissue and glass', () => {
    const r = generateTissueRaster(512, 512, 11)
    let glass = 0
    let tissue = 0
    for (let i = 0; i < r.data.length; i += 3) {
      const sat = Math.max(r.data[i]!, r.data[i + 1]!, r.data[i + 2]!) - Math.min(r.data[i]!, r.data[i + 1]!, r.data[i + 2]!)
      if (sat < 8 && r.data[i]! > 230) glass++
      else if (sat > 30) tissue++
    }
    expect(glass / (512 * 512)).toBeGreaterThan(0.1)
    expect(tissue / (512 * 512)).toBeGreaterThan(0.1)
  })

  for (const format of ['generic-tiff', 'bigtiff', 'svs', 'ome-tiff', 'philips', 'svs-j2k-rgb', 'svs-j2k-ycc'] as const) {
    it(`round-trips ${format} through the registry`, async () => {
      const info = await writeTestSlide({ path: join(dir, `s.${format}`), format, width: 1000, height: 700, seed: 5, mpp: 0.25 })
      const sniffed = await sniffSlide(info.path)
      expect(sniffed.kind).toBe('tiff')
      const slide = await openSlide(info.path)
      try {
        const m = slide.metadata
        expect(m.reader).toBe('tiff')
        expect(m.vendor).toBe(format.startsWith('svs') ? 'aperio' : format === 'bigtiff' ? 'generic-tiff' : format)
        // Philips levels are padded to whole tiles (like real files); the others have the exact size
        expect([m.width, m.height]).toEqual(format === 'philips' ? [1024, 768] : [1000, 700])
        expect(m.levels.map((l) => [l.width, l.height])).toEqual(info.levels.map((l) => [l.width, l.height]))
        expect(m.mppX).toBeCloseTo(0.25, 4)
        expect(m.associatedImages).toEqual([...info.associatedImages].sort())
        if (format.startsWith('svs')) expect(m.objectivePower).toBe(20)
        const region = await slide.readRegion(300, 200, 0, 224, 224)
        expect(region.data.length).toBe(224 * 224 * 4)
        expect(psnr(region.data, info.level0, 300, 200, 224, 224)).toBeGreaterThan(30)
        // beyond the right edge: transparent
        const edge = await slide.readRegion(900, 0, 0, 200, 10)
        expect(edge.data[(0 * 200 + 150) * 4 + 3]).toBe(0)
        expect(edge.data[(0 * 200 + 50) * 4 + 3]).toBe(255)
        for (const name of m.associatedImages) expect((await slide.readAssociatedImage(name)).width).toBeGreaterThan(0)
      } finally {
        await slide.close()
      }
    })
  }

  it('writePyramidalTiff writes a caller raster as SubIFD pyramid', async () => {
    const raster = generateTissueRaster(600, 400, 9)
    const path = join(dir, 'own.ome.tif')
    const r = await writePyramidalTiff({ path, level0: raster, layout: 'subifds', tileSize: 128, mpp: 0.5, bigtiff: true })
    expect(r.levels.length).toBeGreaterThan(2)
    const slide = await openSlide(path)
    expect(slide.metadata.vendor).toBe('generic-tiff') // no OME-XML given → only IFD 0 is a level
    expect(slide.metadata.mppX).toBeCloseTo(0.5, 3)
    const px = await slide.readRegion(100, 100, 0, 64, 64)
    expect(psnr(px.data, raster, 100, 100, 64, 64)).toBeGreaterThan(30)
    await slide.close()
  })

  it('gives a clear SlideError for non-slides', async () => {
    await expect(openSlide(join(dir, 'missing.svs'))).rejects.toThrow(/file not found/)
    const path = join(dir, 'text.svs')
    await import('node:fs/promises').then((fs) => fs.writeFile(path, 'hello world, not a slide'))
    await expect(openSlide(path)).rejects.toBeInstanceOf(SlideError)
    await expect(openSlide(path)).rejects.toThrow(/unrecognised file format/)
  })
})
