// Parameter and FLOP counting against hand-computed values for a ResNet-18 (torchvision reports 11.69 M parameters
// and ~1.82 GFLOPs multiply-adds ×2 ≈ 3.6 GFLOPs at 224 px) and exact counts for single kernels.
import { describe, expect, it } from 'vitest'
import { kernelFlops, measureComputeCost } from '../../../src-main/ml/compute-cost'
import { createModel } from '../../../src-main/ml/models/zoo'
import { useBackend } from '../../../src-main/ml/backend'

describe('compute cost', () => {
  it('counts a conv kernel exactly', () => {
    // 3×3 conv, 16→32 channels, 8×8 output, batch 1: 2·8·8·32·3·3·16
    expect(kernelFlops('Conv2D', [[1, 8, 8, 16], [3, 3, 16, 32]], [[1, 8, 8, 32]])).toBe(2 * 8 * 8 * 32 * 9 * 16)
    expect(kernelFlops('BatchMatMul', [[1, 4, 5], [1, 5, 6]], [[1, 4, 6]])).toBe(2 * 4 * 6 * 5)
    expect(kernelFlops('Relu', [[1, 4]], [[1, 4]])).toBe(0)
  })

  it('matches the published size of ResNet-18 (fc dropped)', async () => {
    await useBackend('wasm')
    const model = createModel('resnet18', { inputSize: 224 })
    try {
      const cost = await measureComputeCost(model)
      // torchvision resnet18 has 11,689,512 parameters incl. fc (512·1000 + 1000) and BN affine terms
      expect(cost.parameters).toBe(11_689_512 - 513_000)
      // 1.814 G multiply-adds in convs + fc → ~3.63 GFLOPs; without fc (0.001 G) the convs give ≈ 3.63
      expect(cost.gflopsPerPatch).toBeGreaterThan(3.55)
      expect(cost.gflopsPerPatch).toBeLessThan(3.7)
    } finally {
      model.dispose()
    }
  })

  it('counts a ResNet at the input size it was made for (the manifest records it; the demo ResNets are 64 px)', async () => {
    await useBackend('wasm')
    const model = createModel('resnet18', { inputSize: 64 })
    try {
      expect(model.manifest.inputSize).toBe(64)
      // (64/224)² of the 224-px cost, within the rounding of the strided layers
      const cost = await measureComputeCost(model)
      expect(cost.gflopsPerPatch).toBeGreaterThan(3.55 * (64 / 224) ** 2 * 0.9)
      expect(cost.gflopsPerPatch).toBeLessThan(3.7 * (64 / 224) ** 2 * 1.1)
    } finally {
      model.dispose()
    }
  })
})
