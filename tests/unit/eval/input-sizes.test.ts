// A baseline and its fine-tuned copy must be compared at the same pixels per patch: the cache records each model's
// input size, the evaluation refuses a baseline / fine-tuned mismatch and warns (in report.json) about any other.
import { describe, expect, it } from 'vitest'
import { openDatabase } from '../../../src-main/store/database'
import { encoderKey, FeatureCache } from '../../../src-main/store/feature-cache'
import { bagsFromCache } from '../../../src-main/eval/bag-source'
import { checkInputSizes, inputSizeOfEncoderKey } from '../../../src-main/eval/input-sizes'
import type { LabelledSlideRecord } from '../../../src-main/eval/slide-labels'

const slides: LabelledSlideRecord[] = [
  { slideId: 1, name: 'a.svs', path: '/d/a.svs', checksum: 'ca', label: 'x', patientId: 'p1', fold: null },
  { slideId: 2, name: 'b.svs', path: '/d/b.svs', checksum: 'cb', label: 'y', patientId: 'p2', fold: null }
]

describe('pixels per patch of compared extractors', () => {
  it('the feature cache gives each model the input size its features were extracted at', () => {
    const db = openDatabase(':memory:')
    const cache = new FeatureCache(db)
    const put = (model: string, hash: string, inputSize: number): void => {
      const key = encoderKey({ model: 'resnet18', weightHash: hash.repeat(64), inputSize, mean: [0.5], std: [0.5] })
      for (const s of slides) {
        cache.writeSlide({ slideChecksum: s.checksum!, gridKey: 'g1', encoderKey: key, dtype: 'float32' }, { dim: 2, vectors: new Float32Array(2), coords: new Int32Array(2), producedBy: { model } })
      }
    }
    put('base', 'a', 224)
    put('base-mcm', 'b', 64)
    expect(bagsFromCache(db, 'base', slides).inputSize).toBe(224)
    expect(bagsFromCache(db, 'base-mcm', slides).inputSize).toBe(64)
    expect(inputSizeOfEncoderKey('resnet18@abc|in224|m0.5|s0.5')).toBe(224)
    expect(inputSizeOfEncoderKey('some-folder')).toBeNull()
  })

  it('refuses a baseline and a fine-tuned model at different sizes, warns about any other difference', () => {
    expect(() =>
      checkInputSizes([
        { model: 'base', role: 'baseline', inputSize: 224 },
        { model: 'base-mcm', role: 'finetuned', inputSize: 64 }
      ])
    ).toThrow(/different pixels per patch \(baseline base at 224 px, fine-tuned base-mcm at 64 px\)/)
    expect(
      checkInputSizes([
        { model: 'base', role: 'baseline', inputSize: 64 },
        { model: 'base-mcm', role: 'finetuned', inputSize: 64 },
        { model: 'teacher', role: 'teacher', inputSize: 224 }
      ])
    ).toEqual(['extractors saw different pixels per patch: base 64 px, base-mcm 64 px, teacher 224 px'])
    expect(checkInputSizes([{ model: 'enc', role: 'other', inputSize: null }])).toEqual([expect.stringMatching(/enc: input size unknown/)])
    expect(checkInputSizes([{ model: 'a', role: 'baseline', inputSize: 64 }, { model: 'b', role: 'finetuned', inputSize: 64 }])).toEqual([])
  })
})
