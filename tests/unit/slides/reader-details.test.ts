// Reader details: tile LRU (byte bound, eviction order, in-flight de-duplication), abort signals, and TIFFs
// written by another writer (libvips `vips tiffsave`: LZW/Deflate with predictor, JPEG with RGB tiles).
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import sharp from 'sharp'
import { describe, expect, it } from 'vitest'
import { decodeLzw } from '../../../src-main/slides/codecs/lossless'
import { completeJpeg } from '../../../src-main/slides/codecs/jpeg'
import { openDicomFiles, openSlide } from '../../../src-main/slides/registry'
import { SlideError } from '../../../src-main/slides/slide-source'
import { writeDicomInstance } from '../../../src-main/slides/synth/dicom-writer'
import { encodeJpegTiles } from '../../../src-main/slides/synth/encode'
import { generateTissueRaster } from '../../../src-main/slides/synth/texture'
import { writeTestSlide } from '../../../src-main/slides/synth/write-test-slide'
import { TileCache } from '../../../src-main/slides/tile-cache'
import type { DecodedTile } from '../../../src-main/slides/tile-cache'
import { tempDir } from '../../helpers/tmp'

const dir = tempDir('reader-')
const tile = (bytes: number): DecodedTile => ({ rgba: new Uint8Array(bytes), width: 1, height: bytes / 4 })

describe('TileCache', () => {
  it('stays within its byte budget, evicting least recently used first', async () => {
    const cache = new TileCache(1000)
    await cache.get('a', async () => tile(400))
    await cache.get('b', async () => tile(400))
    await cache.get('a', async () => tile(400)) // touch a → b is now oldest
    await cache.get('c', async () => tile(400))
    expect(cache.size).toBeLessThanOrEqual(1000)
    let reloaded = ''
    await cache.get('b', async () => ((reloaded = 'b'), tile(400)))
    expect(reloaded).toBe('b')
    expect(cache.hits).toBe(1)
  })

  it('decodes a tile once for concurrent requests and does not cache failures', async () => {
    const cache = new TileCache(10_000)
    let loads = 0
    const load = async (): Promise<DecodedTile> => {
      loads++
      await new Promise((r) => setTimeout(r, 10))
      return tile(40)
    }
    await Promise.all([cache.get('k', load), cache.get('k', load), cache.get('k', load)])
    expect(loads).toBe(1)
    await expect(cache.get('bad', async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom')
    expect(await cache.get('bad', async () => tile(8))).toBeTruthy()
  })
})

describe('abort and argument checks', () => {
  it('rejects aborted and oversized reads with a SlideError', async () => {
    const info = await writeTestSlide({ path: join(dir, 'a.tif'), format: 'generic-tiff', width: 800, height: 600, seed: 1 })
    const slide = await openSlide(info.path)
    const ac = new AbortController()
    ac.abort()
    await expect(slide.readRegion(0, 0, 0, 256, 256, ac.signal)).rejects.toMatchObject({ code: 'aborted' })
    // abort while tiles are being decoded
    const ac2 = new AbortController()
    const pending = slide.readRegion(0, 0, 0, 800, 600, ac2.signal)
    ac2.abort()
    await expect(pending).rejects.toBeInstanceOf(SlideError)
    await expect(slide.readRegion(0, 0, 0, 20000, 20000)).rejects.toMatchObject({ code: 'too_large' })
    await expect(slide.readRegion(0, 0, 9, 10, 10)).rejects.toThrow(/level 9 does not exist/)
    await expect(slide.readRegion(0.5, 0, 0, 10, 10)).rejects.toThrow(/integers/)
    await slide.close()
  })
})

describe.skipIf(!existsSync('/proc/self/fd'))('file descriptors', () => {
  it('returns to baseline after 200 open/read/close cycles of valid and invalid slides', async () => {
    const good = await writeTestSlide({ path: join(dir, 'fd.svs'), format: 'svs', width: 600, height: 400, seed: 2 })
    const dcm = await writeTestSlide({ path: join(dir, 'fd-dcm'), format: 'dicom', width: 600, height: 400, seed: 2 })
    const bad = join(dir, 'fd-bad.tif')
    writeFileSync(bad, Buffer.concat([Buffer.from('II*\0'), Buffer.from([0xff, 0xff, 0, 0]), Buffer.alloc(100)]))
    const fds = (): number => readdirSync('/proc/self/fd').length
    const before = fds()
    for (let i = 0; i < 200; i++) {
      const path = i % 3 === 0 ? bad : i % 3 === 1 ? good.path : dcm.path
      try {
        const s = await openSlide(path)
        await s.readRegion(0, 0, 0, 64, 64)
        await s.close()
      } catch (e) {
        expect(e).toBeInstanceOf(SlideError)
      }
    }
    expect(Math.abs(fds() - before)).toBeLessThanOrEqual(2)
  })
})

describe('DICOM series', () => {
  it('opens an explicit list of instance files', async () => {
    const info = await writeTestSlide({ path: join(dir, 'list-dcm'), format: 'dicom', width: 600, height: 400, seed: 6 })
    const files = readdirSync(info.path).map((n) => join(info.path, n))
    const slide = await openDicomFiles(files)
    expect(slide.metadata.levels.length).toBe(info.levels.length)
    expect(slide.metadata.associatedImages).toEqual(['label'])
    await slide.close()
  })

  it('leaves TILED_SPARSE holes transparent', async () => {
    const raster = generateTissueRaster(512, 512, 8)
    const enc = await encodeJpegTiles(raster, 256, 256, 80)
    const frames = enc.tiles.map((t) => completeJpeg(t, enc.jpegTables ?? null, false))
    const d = join(dir, 'holes')
    mkdirSync(d, { recursive: true })
    // frames for tiles 0, 1 and 3 only (tile 2 = bottom-left is missing), in shuffled order
    const keep = [3, 0, 1]
    writeDicomInstance({
      path: join(d, 'a.dcm'), studyUid: '1.2', seriesUid: '1.2.1', instanceUid: '1.2.1.1', frameOfReferenceUid: '1.2.2', instanceNumber: 1,
      imageType: 'ORIGINAL\\PRIMARY\\VOLUME\\NONE', totalWidth: 512, totalHeight: 512, tileWidth: 256, tileHeight: 256,
      frames: keep.map((k) => frames[k]!), positions: keep.map((k) => [(k % 2) * 256 + 1, Math.floor(k / 2) * 256 + 1] as [number, number]), mpp: 0.5
    })
    const slide = await openSlide(d)
    const r = await slide.readRegion(0, 0, 0, 512, 512)
    const alpha = (x: number, y: number): number => r.data[(y * 512 + x) * 4 + 3]!
    expect([alpha(10, 10), alpha(300, 10), alpha(300, 300), alpha(10, 300)]).toEqual([255, 255, 255, 0])
    await slide.close()
  })
})

describe('LZW decoder', () => {
  it('rejects codes that are not in the table', () => {
    // 9-bit codes, MSB first: clear (256) then 300 (undefined)
    const bits = (256).toString(2).padStart(9, '0') + (300).toString(2).padStart(9, '0') + '0'.repeat(6)
    const bytes = Uint8Array.from(bits.match(/.{8}/g)!.map((b) => parseInt(b, 2)))
    expect(() => decodeLzw(bytes, 100)).toThrow(/invalid LZW code/)
  })
})

describe.skipIf(!existsSync('/usr/bin/vips'))('TIFFs written by libvips', () => {
  const raster = generateTissueRaster(700, 500, 4)
  const ppm = join(dir, 'src.ppm')
  writeFileSync(ppm, Buffer.concat([Buffer.from(`P6\n${raster.width} ${raster.height}\n255\n`), raster.data]))

  for (const [name, args, exact] of [
    ['lzw + predictor', ['--compression', 'lzw', '--predictor', 'horizontal'], true],
    ['deflate', ['--compression', 'deflate'], true],
    ['jpeg rgb tiles', ['--compression', 'jpeg', '--Q', '90', '--rgbjpeg'], false],
    ['jpeg ycbcr pyramid bigtiff', ['--compression', 'jpeg', '--Q', '90', '--pyramid', '--bigtiff'], false]
  ] as const) {
    it(`reads ${name}`, async () => {
      const out = join(dir, `${name.replace(/\W+/g, '-')}.tif`)
      execFileSync('/usr/bin/vips', ['tiffsave', ppm, out, '--tile', '--tile-width', '128', '--tile-height', '128', ...args])
      const slide = await openSlide(out)
      const r = await slide.readRegion(100, 50, 0, 300, 200)
      let worst = 0
      for (let y = 0; y < 200; y++) {
        for (let x = 0; x < 300; x++) {
          for (let c = 0; c < 3; c++) worst = Math.max(worst, Math.abs(r.data[(y * 300 + x) * 4 + c]! - raster.data[((50 + y) * 700 + 100 + x) * 3 + c]!))
        }
      }
      if (exact) expect(worst).toBe(0)
      else {
        // lossy: compare with sharp's own decode of the same file (same libjpeg) rather than the source
        const ref = await sharp(out, { page: 0 }).extract({ left: 100, top: 50, width: 300, height: 200 }).raw().toBuffer()
        let refWorst = 0
        for (let i = 0; i < 300 * 200; i++) for (let c = 0; c < 3; c++) refWorst = Math.max(refWorst, Math.abs(r.data[i * 4 + c]! - ref[i * 3 + c]!))
        expect(refWorst).toBeLessThanOrEqual(1)
      }
      await slide.close()
    })
  }
})
