// Decompression bombs (issue 17 item 7): tiles whose codec header declares far more pixels than the tile holds are
// refused before any decoder allocates — JPEG SOF, JPEG 2000 SIZ — for decoded tiles and for stored JPEG tiles
// passed through to the viewer as-is. Crafted from small synthetic slides by rewriting the declared size to 16384².
import { describe, expect, it } from 'vitest'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { writeTestSlide } from '../../../src-main/slides/synth/write-test-slide'
import { openSlide } from '../../../src-main/slides/registry'
import { TileService } from '../../../src-main/tiles/tile-service'
import { jpegDeclaredSize } from '../../../src-main/slides/codecs/declared-size'
import { tempDir } from '../../helpers/tmp'

/** Rewrite every occurrence of `find` with `replace` (same length); returns how many were rewritten. */
function patchAll(buf: Buffer, find: number[], replace: number[]): number {
  let n = 0
  for (let i = buf.indexOf(Buffer.from(find)); i >= 0; i = buf.indexOf(Buffer.from(find), i + 1)) {
    Buffer.from(replace).copy(buf, i)
    n++
  }
  return n
}

describe('decompression bombs', () => {
  it('a TIFF whose JPEG tiles declare 16384² is refused before decoding, decoded or passed through', async () => {
    const path = join(tempDir('bomb-'), 'bomb.tiff')
    await writeTestSlide({ path, format: 'generic-tiff', width: 600, height: 500, seed: 7, tileSize: 256 })
    const buf = readFileSync(path)
    // SOF0, length 17, 8-bit, height 256, width 256 → height 16384, width 16384
    const n = patchAll(buf, [0xff, 0xc0, 0x00, 0x11, 0x08, 0x01, 0x00, 0x01, 0x00], [0xff, 0xc0, 0x00, 0x11, 0x08, 0x40, 0x00, 0x40, 0x00])
    expect(n).toBeGreaterThan(3)
    writeFileSync(path, buf)
    const s = await openSlide(path)
    try {
      await expect(s.readRegion(0, 0, 0, 256, 256)).rejects.toThrow(/declares 16384x16384 pixels but the tile is 256x256; refused before decoding/)
      const tiles = new TileService({ passThrough: true })
      // Deep Zoom's top level of a 600×500 slide maps 1:1 onto the stored level-0 tiles: the pass-through path
      const top = Math.ceil(Math.log2(600))
      await expect(tiles.tile(s, 'bomb', top, 0, 0)).rejects.toThrow(/declares 16384x16384/)
    } finally {
      await s.close()
    }
  })

  it('an Aperio JPEG 2000 tile whose SIZ declares 16384² is refused before decoding', async () => {
    const path = join(tempDir('bomb-'), 'bomb.svs')
    await writeTestSlide({ path, format: 'svs-j2k-rgb', width: 300, height: 300, seed: 7, tileSize: 256 })
    const buf = readFileSync(path)
    // SOC SIZ Lsiz=47 Rsiz=0 Xsiz → 16384, Ysiz → 16384 (level-0 tiles are 256² codestreams)
    const soc = [0xff, 0x4f, 0xff, 0x51, 0x00, 0x2f, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00]
    const n = patchAll(buf, soc, [0xff, 0x4f, 0xff, 0x51, 0x00, 0x2f, 0x00, 0x00, 0x00, 0x00, 0x40, 0x00, 0x00, 0x00, 0x40, 0x00])
    expect(n).toBeGreaterThan(0)
    writeFileSync(path, buf)
    const s = await openSlide(path)
    try {
      await expect(s.readRegion(0, 0, 0, 256, 256)).rejects.toThrow(/JPEG 2000 stream declares 16384x16384 pixels/)
    } finally {
      await s.close()
    }
  })

  it('reads the declared size of a JPEG behind spliced tables and fill bytes', () => {
    const sof = [0xff, 0xc0, 0x00, 0x11, 0x08, 0x00, 0x20, 0x00, 0x30]
    expect(jpegDeclaredSize(Uint8Array.from([0xff, 0xd8, 0xff, 0xdb, 0x00, 0x03, 0x00, 0xff, 0xff, 0xd8, ...sof]))).toEqual({ width: 48, height: 32 })
    expect(jpegDeclaredSize(Uint8Array.from([0xff, 0xd8, 0xff, 0xda, 0x00, 0x02]))).toBeNull()
  })
})
