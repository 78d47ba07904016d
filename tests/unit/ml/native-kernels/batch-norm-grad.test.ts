// Native fused BatchNorm backward (training mode) on the wasm backend against nn/layers' closed-form gradient on the
// pure-JS cpu backend: dx, dγ, dβ on ResNet-18/50 BatchNorm shapes (incl. a mean far from 0, where dx cancels).
import { describe, expect } from 'vitest'
import { bnCases, bnStep } from './bn-cases'
import { itNative, maxRelErr } from './conv-cases'

describe('native BatchNorm backward (training) vs cpu backend', () => {
  for (const c of bnCases) {
    itNative(`${c.name}: ${c.shape.join('x')}`, async () => {
      const ref = await bnStep('cpu', c)
      const got = await bnStep('wasm', c)
      expect(got.fused).toBe(true)
      expect(maxRelErr(got.dBeta, ref.dBeta)).toBeLessThan(1e-5)
      expect(maxRelErr(got.dGamma, ref.dGamma)).toBeLessThan(1e-4)
      expect(maxRelErr(got.dx, ref.dx)).toBeLessThan(1e-4)
    })
  }
})
