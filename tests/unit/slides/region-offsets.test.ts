// Regions at level > 0 whose level-0 offset is not a multiple of the downsample (issue 17 item 10). Convention
// (documented on SlideSource.readRegion): the region starts at level pixel floor(x / downsample) — the level pixel
// that covers level-0 x — with no resampling. OpenSlide 3.4.1 instead interpolates between level pixels; the two
// agree on every multiple of the downsample, which is all a slide-global grid ever asks for.
import { describe, expect, it } from 'vitest'
import { join } from 'node:path'
import { writeTestSlide } from '../../../src-main/slides/synth/write-test-slide'
import { openSlide } from '../../../src-main/slides/registry'
import { tempDir } from '../../helpers/tmp'

describe('level > 0 regions at level-0 offsets that are not multiples of the downsample', () => {
  it('start at the level pixel covering the offset (floor), for aligned and unaligned offsets alike', async () => {
    const path = join(tempDir('offsets-'), 's.tiff')
    await writeTestSlide({ path, format: 'generic-tiff', width: 1024, height: 768, seed: 11, tileSize: 256 })
    const s = await openSlide(path)
    try {
      const level = s.metadata.levels.findIndex((l) => Math.round(l.downsample) === 4)
      expect(level).toBeGreaterThan(0)
      const ds = s.metadata.levels[level]!.downsample
      // a wide reference read from level-0 (0,0), then regions at aligned and unaligned offsets
      const ref = await s.readRegion(0, 0, level, 64, 40)
      const crop = (lx: number, ly: number, w: number, h: number): number[] => {
        const out: number[] = []
        for (let y = 0; y < h; y++) out.push(...ref.data.subarray(((ly + y) * ref.width + lx) * 4, ((ly + y) * ref.width + lx + w) * 4))
        return out
      }
      for (const [x, y] of [
        [4 * ds, 2 * ds], // aligned: level pixel (4, 2)
        [4 * ds + 1, 2 * ds + ds - 1], // unaligned: still level pixel (4, 2)
        [5 * ds - 1, 3 * ds - 1] // one level-0 px short of (5, 3): still (4, 2)
      ] as const) {
        const r = await s.readRegion(x, y, level, 16, 12)
        expect(Array.from(r.data), `offset (${x}, ${y})`).toEqual(crop(4, 2, 16, 12))
      }
      const next = await s.readRegion(5 * ds, 3 * ds, level, 16, 12)
      expect(Array.from(next.data)).toEqual(crop(5, 3, 16, 12))
    } finally {
      await s.close()
    }
  })
})
