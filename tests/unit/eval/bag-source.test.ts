// Feature sources of an evaluation: the feature cache (model name = encoder key's model part) and TRIDENT folders.
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import h5wasm from 'h5wasm/node'
import { describe, expect, it } from 'vitest'
import { openDatabase } from '../../../src-main/store/database'
import { encoderKey, FeatureCache } from '../../../src-main/store/feature-cache'
import { bagsFromCache, bagsFromFolder, inferPatchSize, readFeatureH5 } from '../../../src-main/eval/bag-source'
import type { LabelledSlideRecord } from '../../../src-main/eval/slide-labels'
import { tempDir } from '../../helpers/tmp'

const slides: LabelledSlideRecord[] = [
  { slideId: 1, name: 'a.svs', path: '/d/a.svs', checksum: 'ca', label: 'x', patientId: 'p1', fold: null },
  { slideId: 2, name: 'b.svs', path: '/d/b.svs', checksum: 'cb', label: 'y', patientId: 'p2', fold: null }
]

describe('bagsFromCache', () => {
  it('reads each slide’s complete set for the model (by registered name or exact key), and asks for a grid key when two grids match', () => {
    const db = openDatabase(':memory:')
    const cache = new FeatureCache(db)
    const key = encoderKey({ model: 'student', weightHash: 'f'.repeat(64), inputSize: 224, mean: [0.5], std: [0.5] })
    for (const s of slides) {
      const vectors = Float32Array.from({ length: 3 * 4 }, (_, i) => i + s.slideId)
      cache.writeSlide({ slideChecksum: s.checksum!, gridKey: 'g1', encoderKey: key, dtype: 'float32' }, { dim: 4, vectors, coords: Int32Array.from([0, 0, 256, 0, 0, 256]), producedBy: { model: 'student', grid: { patchSizeLevel0: 256 } } })
    }
    const set = bagsFromCache(db, 'student', slides)
    expect(set.bags.map((b) => [b.slideName, b.dim, b.features.length, b.patchSizeLevel0])).toEqual([
      ['a.svs', 4, 12, 256],
      ['b.svs', 4, 12, 256]
    ])
    expect(set.bags[1]!.features[0]).toBe(2)
    expect(() => bagsFromCache(db, 'teacher', slides)).toThrow(/a.svs: no cached features for "teacher"/)
    cache.writeSlide({ slideChecksum: 'ca', gridKey: 'g2', encoderKey: key, dtype: 'float32' }, { dim: 4, vectors: new Float32Array(4), coords: new Int32Array(2), producedBy: { model: 'student' } })
    // a fine-tuned copy of the same architecture: same key prefix, different model name → not mixed in
    const tuned = encoderKey({ model: 'student', weightHash: 'e'.repeat(64), inputSize: 224, mean: [0.5], std: [0.5] })
    cache.writeSlide({ slideChecksum: 'cb', gridKey: 'g1', encoderKey: tuned, dtype: 'float32' }, { dim: 4, vectors: new Float32Array(4), coords: new Int32Array(2), producedBy: { model: 'student-mcm' } })
    expect(() => bagsFromCache(db, 'student', slides)).toThrow(/2 cached feature sets .*pass a grid key/)
    expect(bagsFromCache(db, 'student', slides, 'g1').bags).toHaveLength(2)
    expect(bagsFromCache(db, tuned, slides.slice(1)).bags[0]!.features.length).toBe(4)
  })
})

describe('bagsFromFolder', () => {
  it('reads TRIDENT files, names the missing ones, and rejects a file without features', async () => {
    const dir = tempDir('bags-')
    mkdirSync(join(dir, 'm'))
    await h5wasm.ready
    const f = new h5wasm.File(join(dir, 'm', 'a.h5'), 'w')
    f.create_dataset({ name: 'features', data: new Float32Array(6), shape: [3, 2] })
    f.create_dataset({ name: 'coords', data: BigInt64Array.from([0n, 0n, 512n, 0n, 0n, 512n]), shape: [3, 2] })
    f.close()
    await expect(bagsFromFolder(dir, 'm', slides)).rejects.toThrow(/no features for 1 labelled slide\(s\): b.h5/)
    const only = await bagsFromFolder(dir, 'm', slides.slice(0, 1))
    expect(only.bags[0]).toMatchObject({ dim: 2, patchSizeLevel0: 512 })
    const g = new h5wasm.File(join(dir, 'm', 'bad.h5'), 'w')
    g.create_dataset({ name: 'coords', data: new Int32Array(2), shape: [1, 2] })
    g.close()
    await expect(readFeatureH5(join(dir, 'm', 'bad.h5'))).rejects.toThrow(/bad.h5: no "features" dataset/)
    expect(inferPatchSize(Int32Array.from([0, 0, 224, 0, 448, 224]))).toBe(224)
  })
})
