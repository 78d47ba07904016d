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

  // bit-exact resume relies on this: same shapes, same thread count → the same reduction order and the same bits
  itNative('is bit-identical across repeated calls (fixed thread count)', async () => {
    const c = { name: 'repeat', n: 4, h: 28, w: 28, ci: 64, co: 64, k: 3, stride: 1, pad: 1 }
    const a = await convResult('wasm', c, 'dw')
    const b = await convResult('wasm', c, 'dw')
    expect(Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength))).toBe(true)
  })
})
