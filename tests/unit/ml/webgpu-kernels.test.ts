// The pure parts of our WGSL kernels: split-K plan of the filter gradient, the [A, R, B] view and split-R plan of Sum
// (the kernels themselves are checked on webgpu in tests/gpu).
import { describe, expect, it } from 'vitest'
import { planSplitK, TILE_K } from '../../../src-main/ml/webgpu-kernels/conv2d-backprop-filter'
import { middleAxesView, planSplitR } from '../../../src-main/ml/webgpu-kernels/sum'

describe('planSplitK', () => {
  it('splits the long reduction of a small output (ResNet stem, 224 px, batch 32) and covers K exactly', () => {
    const k = 32 * 112 * 112, p = planSplitK(7 * 7 * 3, 64, k)
    expect(p.tiles).toBe(3)
    expect(p.splits).toBe(86)
    expect(p.kChunk % TILE_K).toBe(0)
    expect(p.kChunk * p.splits).toBeGreaterThanOrEqual(k) // every K value in some split
    expect(p.kChunk * (p.splits - 1)).toBeLessThan(k) // and no split empty
  })

  it('does not split an output that already fills the GPU (3×3 512→512 at 7×7, batch 32)', () => {
    expect(planSplitK(3 * 3 * 512, 512, 32 * 7 * 7)).toMatchObject({ splits: 1, tiles: 576 })
  })

  it('keeps at least minChunk per split, the scratch under maxScratch, and drops splits left empty by rounding', () => {
    expect(planSplitK(64, 64, 300).splits).toBe(1) // 300 < 2 × 256
    expect(planSplitK(147, 64, 1024).splits).toBe(4)
    expect(planSplitK(147, 64, 1 << 20, { maxScratch: 147 * 64 * 5 }).splits).toBe(5)
    const p = planSplitK(147, 64, 50, { minChunk: 16 }) // floor(50/16) = 3 wanted; chunks of 32 need only 2
    expect(p).toMatchObject({ splits: 2, kChunk: 32 })
  })
})

describe('Sum: middleAxesView and planSplitR', () => {
  it('views BatchNorm\'s reductions as [A, R, B] and leaves the rest to tfjs', () => {
    expect(middleAxesView([32, 112, 112, 64], [2])).toEqual({ a: 32 * 112, r: 112, b: 64 })
    expect(middleAxesView([32, 112, 64], [1, 0])).toEqual({ a: 1, r: 32 * 112, b: 64 })
    expect(middleAxesView([2, 3, 4], [2])).toBeNull() // innermost
    expect(middleAxesView([2, 3, 4, 5], [0, 2])).toBeNull() // not contiguous
    expect(middleAxesView([2, 3], [])).toBeNull()
  })

  it('splits only a long reduction into few outputs, every split non-empty', () => {
    expect(planSplitR(32 * 112 * 64, 112)).toEqual({ splits: 1, chunk: 112 })
    expect(planSplitR(64, 32 * 112)).toEqual({ splits: 28, chunk: 128 })
    const p = planSplitR(16, 1500)
    expect(p.splits * p.chunk).toBeGreaterThanOrEqual(1500)
    expect((p.splits - 1) * p.chunk).toBeLessThan(1500)
  })
})
