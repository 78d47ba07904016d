// Feature cache: f16 conversion accuracy, write/read round trip in both precisions, replacement, completeness.
import { describe, expect, it } from 'vitest'
import { join } from 'node:path'
import { openDatabase } from '../../../src-main/store/database'
import { FeatureCache, encoderKey, type FeatureSetKey } from '../../../src-main/store/feature-cache'
import { decodeFloat16, encodeFloat16, toHalfBits } from '../../../src-main/store/float16'
import { tempDir } from '../../helpers/tmp'

function seeded(n: number, seed = 1): Float32Array {
  let s = seed
  const out = new Float32Array(n)
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) >>> 0
    out[i] = ((s / 2 ** 32) * 2 - 1) * 8
  }
  return out
}

describe('float16', () => {
  it('encodes known values exactly (IEEE binary16 bit patterns)', () => {
    expect(toHalfBits(1)).toBe(0x3c00)
    expect(toHalfBits(-2)).toBe(0xc000)
    expect(toHalfBits(65504)).toBe(0x7bff)
    expect(toHalfBits(1e6)).toBe(0x7c00)
    expect(toHalfBits(-Infinity)).toBe(0xfc00)
    expect(toHalfBits(2 ** -24)).toBe(0x0001)
    expect(toHalfBits(0.1)).toBe(0x2e66)
    expect(toHalfBits(1 + 2 ** -11)).toBe(0x3c00) // tie → even
    expect(toHalfBits(1 + 3 * 2 ** -11)).toBe(0x3c02) // tie → even (up)
    expect(Number.isNaN(decodeFloat16(new Uint16Array([toHalfBits(NaN)]))[0])).toBe(true)
  })

  it('round-trips within half-precision relative error', () => {
    const v = seeded(10_000)
    const back = decodeFloat16(encodeFloat16(v))
    for (let i = 0; i < v.length; i++) {
      const a = v[i] as number
      expect(Math.abs((back[i] as number) - a)).toBeLessThanOrEqual(Math.max(Math.abs(a) * 2 ** -11, 2 ** -24))
    }
  })
})

describe('FeatureCache', () => {
  const open = (): FeatureCache => new FeatureCache(openDatabase(join(tempDir(), 'f.db')))
  const key = (dtype: 'float16' | 'float32'): FeatureSetKey => ({
    slideChecksum: 'sha256:abc',
    gridKey: 'g1',
    encoderKey: encoderKey({ model: 'tiny', weightHash: 'ff'.repeat(32), inputSize: 32, mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25] }),
    dtype
  })

  it('writes and reads float32 exactly, with coords, marked complete', () => {
    const cache = open()
    const v = seeded(37 * 12)
    const coords = Int32Array.from({ length: 74 }, (_, i) => i * 224)
    const info = cache.writeSlide(key('float32'), { dim: 12, vectors: v, coords, slideName: 's1', producedBy: { job: 1 } })
    expect(info).toMatchObject({ count: 37, dim: 12, complete: true, slideName: 's1', producedBy: { job: 1 } })
    const back = cache.read(key('float32'))
    expect(back?.vectors).toEqual(v)
    expect(back?.coords).toEqual(coords)
    expect(cache.read(key('float16'))).toBeNull()
  })

  it('stores float16 at half the bytes and reads back within f16 error', () => {
    const cache = open()
    const v = seeded(5 * 64, 7)
    cache.writeSlide(key('float16'), { dim: 64, vectors: v, coords: new Int32Array(10) })
    const back = cache.read(key('float16'))
    expect(back?.vectors.length).toBe(v.length)
    let maxErr = 0
    v.forEach((a, i) => (maxErr = Math.max(maxErr, Math.abs((back?.vectors[i] as number) - a))))
    expect(maxErr).toBeGreaterThan(0)
    expect(maxErr).toBeLessThanOrEqual(8 * 2 ** -11)
  })

  it('replaces a previous set under the same key and rejects inconsistent shapes', () => {
    const cache = open()
    cache.writeSlide(key('float32'), { dim: 4, vectors: seeded(8), coords: new Int32Array(4) })
    const second = seeded(12, 3)
    cache.writeSlide(key('float32'), { dim: 4, vectors: second, coords: new Int32Array(6) })
    expect(cache.list()).toHaveLength(1)
    expect(cache.read(key('float32'))?.vectors).toEqual(second)
    expect(() => cache.writeSlide(key('float32'), { dim: 5, vectors: seeded(12), coords: new Int32Array(6) })).toThrow(/multiple of dim/)
    expect(() => cache.writeSlide(key('float32'), { dim: 4, vectors: seeded(12), coords: new Int32Array(4) })).toThrow(/coords length/)
    // a failed write leaves the previous complete set intact
    expect(cache.read(key('float32'))?.vectors).toEqual(second)
  })
})
