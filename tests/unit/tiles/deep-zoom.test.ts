// Deep Zoom geometry, pass-through splicing, rendered tiles, thumbnails and the byte-bounded LRU.
import { describe, expect, it } from 'vitest'
import sharp from 'sharp'
import { dzLevels, dziXml, maxZoom, planTile } from '../../../src-main/tiles/deep-zoom'
import { TileService } from '../../../src-main/tiles/tile-service'
import { spliceJpegTables } from '../../../src-main/tiles/raw-tiles'
import { renderRegion } from '../../../src-main/tiles/render'
import { Lru } from '../../../src-main/tiles/lru'
import { FakeSlide } from './fake-slide'

const W = 1500
const H = 1100

async function decode(jpeg: Buffer): Promise<{ width: number; height: number; data: Buffer }> {
  const { data, info } = await sharp(jpeg).raw().toBuffer({ resolveWithObject: true })
  return { width: info.width, height: info.height, data }
}

describe('Deep Zoom pyramid', () => {
  it('has maxZ = ceil(log2(max(W,H))) and ceil-divided level sizes and tile counts', () => {
    const levels = dzLevels(W, H)
    expect(maxZoom(W, H)).toBe(11)
    expect(levels).toHaveLength(12)
    expect(levels[11]).toMatchObject({ width: 1500, height: 1100, cols: 6, rows: 5 })
    expect(levels[10]).toMatchObject({ width: 750, height: 550, cols: 3, rows: 3 })
    expect(levels[9]).toMatchObject({ width: 375, height: 275, cols: 2, rows: 2 })
    expect(levels[8]).toMatchObject({ width: 188, height: 138, cols: 1, rows: 1 })
    expect(levels[0]).toMatchObject({ width: 1, height: 1, cols: 1, rows: 1 })
    expect(dziXml(W, H)).toContain('<Size Width="1500" Height="1100"/>')
    expect(dziXml(W, H)).toContain('TileSize="256" Overlap="0" Format="jpeg"'.split(' ')[0])
  })

  it('plans pass-through only for interior tiles of a matching level', async () => {
    const slide = await FakeSlide.create({ width: W, height: H, levels: 3 })
    expect(planTile(slide.metadata, 11, 0, 0)?.passThrough).toEqual({ col: 0, row: 0 })
    expect(planTile(slide.metadata, 11, 5, 0)?.passThrough).toBeNull() // right edge: 220 px wide
    expect(planTile(slide.metadata, 11, 0, 4)?.passThrough).toBeNull() // bottom edge
    expect(planTile(slide.metadata, 10, 1, 1)).toMatchObject({ level: 1, passThrough: { col: 1, row: 1 } })
    expect(planTile(slide.metadata, 8, 0, 0)).toMatchObject({ level: 2, passThrough: null, width: 188, height: 138 })
    expect(planTile(slide.metadata, 11, 6, 0)).toBeNull()
    expect(planTile(slide.metadata, 12, 0, 0)).toBeNull()
  })
})

describe('TileService', () => {
  it('passes stored tiles through as JPEGTables + tile bytes, without re-encoding', async () => {
    const slide = await FakeSlide.create({ width: W, height: H, levels: 3 })
    const tiles = new TileService()
    const got = await tiles.tile(slide, 'k', 11, 2, 1)
    const raw = await slide.readRawTile(0, 2, 1)
    expect(got?.how).toBe('pass-through')
    expect(raw).not.toBeNull()
    const expected = Buffer.concat([Buffer.from(raw!.jpegTables!.subarray(0, -2)), Buffer.from(raw!.bytes.subarray(2))])
    expect(got!.bytes.equals(expected)).toBe(true)
    const img = await decode(got!.bytes)
    expect([img.width, img.height]).toEqual([256, 256])
    expect(slide.regionReads).toBe(1) // only the fake's own tile encoding read pixels
    expect((await tiles.tile(slide, 'k', 11, 2, 1))?.how).toBe('cache')
  })

  it('renders edge tiles, low zoom levels, and everything when pass-through is off', async () => {
    const slide = await FakeSlide.create({ width: W, height: H, levels: 3, blobs: [{ x: 750, y: 550, r: 400 }] })
    const tiles = new TileService({ passThrough: false })
    const edge = await tiles.tile(slide, 'k', 11, 5, 4)
    expect(edge?.how).toBe('rendered')
    const e = await decode(edge!.bytes)
    expect([e.width, e.height]).toEqual([1500 - 5 * 256, 1100 - 4 * 256])
    const interior = await tiles.tile(slide, 'k', 11, 2, 1)
    expect(interior?.how).toBe('rendered')
    const low = await decode((await tiles.tile(slide, 'k', 8, 0, 0))!.bytes)
    expect([low.width, low.height]).toEqual([188, 138])
    // centre of the blob is tissue (pink: red and blue well above green), corner is glass (~242 grey)
    const px = (x: number, y: number): number[] => [...low.data.subarray((y * 188 + x) * 3, (y * 188 + x) * 3 + 3)]
    const [r, g, b] = px(94, 69)
    expect(r! - g!).toBeGreaterThan(60)
    expect(b! - g!).toBeGreaterThan(40)
    for (const v of px(2, 2)) expect(Math.abs(v - 242)).toBeLessThan(8)
    expect(await tiles.tile(slide, 'k', 8, 1, 0)).toBeNull()
  })

  it('rendered and passed-through tiles show the same pixels', async () => {
    const slide = await FakeSlide.create({ width: W, height: H, levels: 2, blobs: [{ x: 600, y: 400, r: 300 }] })
    const a = await decode((await new TileService().tile(slide, 'a', 11, 2, 1))!.bytes)
    const b = await decode((await new TileService({ passThrough: false }).tile(slide, 'b', 11, 2, 1))!.bytes)
    // mean abs difference with b shifted by (dx, 0): aligned tiles differ only by JPEG noise
    const meanDiff = (dx: number): number => {
      let sum = 0
      let n = 0
      for (let y = 0; y < 256; y++) {
        for (let x = 0; x + dx < 256; x++) {
          for (let c = 0; c < 3; c++) sum += Math.abs(a.data[(y * 256 + x) * 3 + c]! - b.data[(y * 256 + x + dx) * 3 + c]!)
          n += 3
        }
      }
      return sum / n
    }
    expect(meanDiff(0)).toBeLessThan(8) // JPEG Q90 stored vs Q80 rendered on a high-frequency texture
    expect(meanDiff(1)).toBeGreaterThan(meanDiff(0) * 1.5)
  })

  it('makes thumbnails with the requested long side', async () => {
    const slide = await FakeSlide.create({ width: W, height: H, levels: 3 })
    const t = await decode(await new TileService().thumbnail(slide, 'k', 300))
    expect([t.width, t.height]).toEqual([300, 220])
  })

  it('splits oversized reads and stitches the pieces (bounded memory)', async () => {
    const slide = await FakeSlide.create({ width: 1024, height: 768, levels: 1, blobs: [{ x: 500, y: 380, r: 300 }] })
    const whole = await renderRegion(slide, 4, 0, 0, 256, 192)
    const readsBefore = slide.regionReads
    const pieces = await renderRegion(slide, 4, 0, 0, 256, 192, undefined, 100_000)
    expect(slide.regionReads - readsBefore).toBeGreaterThan(4)
    expect([pieces.width, pieces.height]).toEqual([256, 192])
    let diff = 0
    for (let i = 0; i < whole.data.length; i++) diff += Math.abs(whole.data[i]! - pieces.data[i]!)
    expect(diff / whole.data.length).toBeLessThan(3) // only resize seams differ
  })

  it('refuses tiles that are not JPEG', () => {
    expect(() => spliceJpegTables(new Uint8Array([1, 2, 3, 4]), null)).toThrow(/SOI/)
  })
})

describe('Lru', () => {
  it('keeps the byte budget, evicting least recently used first', () => {
    const evicted: string[] = []
    const lru = new Lru<Buffer>({ maxSize: 100, sizeOf: (b) => b.length, onEvict: (k) => evicted.push(k) })
    lru.set('a', Buffer.alloc(40))
    lru.set('b', Buffer.alloc(40))
    lru.get('a')
    lru.set('c', Buffer.alloc(40))
    expect(evicted).toEqual(['b'])
    expect(lru.size).toBe(80)
    lru.set('huge', Buffer.alloc(500))
    expect(lru.has('huge')).toBe(false)
    lru.deletePrefix('a')
    expect(lru.count).toBe(1)
  })
})
