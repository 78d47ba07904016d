// Native oneDNN Conv2DBackpropFilter on the wasm backend against the pure-JS cpu backend, on ResNet-18/50 and ViT conv shapes.
import { describe, expect } from 'vitest'
import { convCases, convResult, itNative, maxRelErr } from './conv-cases'

describe('native Conv2DBackpropFilter vs cpu backend', () => {
  for (const c of convCases) {
    itNative(`${c.name}: ${c.ci}->${c.co} k${c.k} s${c.stride} on ${c.n}x${c.h}x${c.w}`, async () => {
      const ref = await convResult('cpu', c, 'dw')
      const got = await convResult('wasm', c, 'dw')
      expect(got.length).toBe(ref.length)
      expect(maxRelErr(got, ref)).toBeLessThan(2e-5)
    })
  }
})
