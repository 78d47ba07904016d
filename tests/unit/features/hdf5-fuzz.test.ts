// Mutated TRIDENT files through the HDF5 reader (in-process here, to keep it fast; the app reads in a child process):
// every outcome is either a consistent result or an Hdf5FileError naming the file — no crash, no hang, no bad shapes.
import { describe, expect, it } from 'vitest'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Hdf5FileError, readFeatureFileUnsafe, writeTridentFile } from '../../../src-main/interop/hdf5'
import { tempDir } from '../../helpers/tmp'

describe('HDF5 reader on mutated files', () => {
  it('returns consistent data or a clear error for 300 random byte mutations', async () => {
    const dir = tempDir()
    const good = join(dir, 'good.h5')
    const attrs = { patchSize: 224, patchSizeLevel0: 448, overlap: 0, targetMagnification: 20, level0Magnification: 40, level0Width: 1000, level0Height: 1000, name: 'x', encoder: 'e', mpp: 0.5, weightHash: 'h', appVersion: '0' }
    await writeTridentFile(good, new Float32Array(40 * 8).map((_, i) => i), 8, Array.from({ length: 80 }, (_, i) => i * 10), attrs)
    const bytes = readFileSync(good)
    let seed = 7
    const rnd = (): number => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32
    let ok = 0
    let refused = 0
    for (let k = 0; k < 300; k++) {
      const b = Buffer.from(bytes)
      const flips = 1 + Math.floor(rnd() * 8)
      for (let j = 0; j < flips; j++) b[Math.floor(rnd() * b.length)] = Math.floor(rnd() * 256)
      const f = join(dir, `m${k}.h5`)
      writeFileSync(f, b)
      try {
        const r = await readFeatureFileUnsafe(f)
        expect(r.features.length).toBe(r.count * r.dim)
        expect(r.coords.length).toBe(r.count * 2)
        ok++
      } catch (e) {
        expect(e).toBeInstanceOf(Hdf5FileError)
        expect((e as Error).message.startsWith(`${f}: `)).toBe(true)
        refused++
      }
    }
    expect(ok + refused).toBe(300)
    expect(refused).toBeGreaterThan(0)
  })
})
