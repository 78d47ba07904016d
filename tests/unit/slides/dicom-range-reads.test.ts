// DICOM instances are read by range (issue 17 item 7): the header up to the pixel data, then the pixel data's item
// headers; a file whose pixel data declares a frame larger than the file is refused having read a small part of it.
import { afterEach, describe, expect, it, vi } from 'vitest'
import { closeSync, ftruncateSync, openSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { RandomAccessFile } from '../../../src-main/slides/io/random-access-file'
import { readDicomInstance } from '../../../src-main/slides/dicom/dicom-instance'
import { writeTestSlide } from '../../../src-main/slides/synth/write-test-slide'
import { tempDir } from '../../helpers/tmp'

afterEach(() => vi.restoreAllMocks())

/** Byte offset of the n-th (FFFE,E000) item tag after the pixel data element (0: the offset table, 1: the first frame). */
function itemTag(b: Buffer, n: number): number {
  let at = b.indexOf(Buffer.from([0xe0, 0x7f, 0x10, 0x00]))
  for (let i = 0; i <= n; i++) at = b.indexOf(Buffer.from([0xfe, 0xff, 0x00, 0xe0]), at + 4)
  return at
}

describe('DICOM range reads', () => {
  it('a frame declaring 2 GiB in a 1.5 GiB file is refused, reading well under 1 % of the file', async () => {
    const dir = tempDir('dicom-range-')
    await writeTestSlide({ path: join(dir, 'dcm'), format: 'dicom', width: 512, height: 384, seed: 3 })
    const b = readFileSync(join(dir, 'dcm', 'level-0.dcm'))
    b.writeUInt32LE(0x7ffffff0, itemTag(b, 1) + 4) // the first frame's item length
    const file = join(dir, 'huge.dcm')
    writeFileSync(file, b)
    const fd = openSync(file, 'r+')
    ftruncateSync(fd, 1.5 * 2 ** 30) // sparse: no disk used
    closeSync(fd)
    let bytes = 0
    const read = RandomAccessFile.prototype.read
    vi.spyOn(RandomAccessFile.prototype, 'read').mockImplementation(function (this: RandomAccessFile, offset: number, length: number, what: string, max?: number) {
      bytes += length
      return read.call(this, offset, length, what, max)
    })
    const raf = await RandomAccessFile.open(file)
    try {
      await expect(readDicomInstance(raf)).rejects.toThrow(/huge\.dcm: DICOM frame lies beyond the end of the file/)
    } finally {
      await raf.close()
    }
    expect(bytes).toBeGreaterThan(0)
    expect(bytes).toBeLessThan(0.01 * 1.5 * 2 ** 30)
  })

  it('a valid instance reads its frames at the same places as before (header, table and item headers only)', async () => {
    const dir = tempDir('dicom-range-')
    await writeTestSlide({ path: join(dir, 'dcm'), format: 'dicom', width: 512, height: 384, seed: 3 })
    const path = join(dir, 'dcm', 'level-0.dcm')
    const b = readFileSync(path)
    const raf = await RandomAccessFile.open(path)
    try {
      const inst = await readDicomInstance(raf)
      expect(inst.frames).toHaveLength(inst.across * inst.down)
      // the first frame starts right after its item header, and holds a JPEG (SOI marker)
      const first = inst.frames[0]!
      expect(first.offset).toBe(itemTag(b, 1) + 8)
      expect(b.readUInt16BE(first.offset)).toBe(0xffd8)
    } finally {
      await raf.close()
    }
  })
})
