// Deep Zoom on every generated JPEG-tiled format: interior tiles of matching levels pass through, and decode to
// the same picture as the rendered (decode + re-encode) path; JPEG 2000 and DICOM levels are rendered.
import { describe, expect, it } from 'vitest'
import { join } from 'node:path'
import sharp from 'sharp'
import { tempDir } from '../../helpers/tmp'
import { writeTestSlide, type SynthFormat } from '../../../src-main/slides/synth/write-test-slide'
import { openSlide } from '../../../src-main/slides/registry'
import { TileService } from '../../../src-main/tiles/tile-service'

const CASES: [SynthFormat, 'pass-through' | 'rendered'][] = [
  ['generic-tiff', 'pass-through'],
  ['svs', 'pass-through'],
  ['ome-tiff', 'pass-through'],
  ['philips', 'pass-through'],
  ['svs-j2k-rgb', 'rendered']
]

describe('Deep Zoom pass-through across formats', () => {
  const dir = tempDir('dz-formats-')
  for (const [format, expected] of CASES) {
    it(`${format}: full-resolution interior tile is ${expected} and matches the rendered tile`, async () => {
      const path = join(dir, `${format}.tif`)
      await writeTestSlide({ path, format, width: 1024, height: 768, seed: 9 })
      const source = await openSlide(path)
      try {
        const z = 10 // maxZ for 1024 px
        const fast = await new TileService().tile(source, 'a', z, 1, 1)
        const slow = await new TileService({ passThrough: false }).tile(source, 'b', z, 1, 1)
        expect(fast?.how).toBe(expected)
        expect(slow?.how).toBe('rendered')
        const a = await sharp(fast!.bytes).raw().toBuffer({ resolveWithObject: true })
        const b = await sharp(slow!.bytes).raw().toBuffer({ resolveWithObject: true })
        expect([a.info.width, a.info.height, a.info.channels]).toEqual([256, 256, 3])
        let diff = 0
        for (let i = 0; i < a.data.length; i++) diff += Math.abs(a.data[i]! - b.data[i]!)
        expect(diff / a.data.length).toBeLessThan(4) // one extra JPEG Q80 generation at most
      } finally {
        await source.close()
      }
    })
  }
})
