// WebGPU adapter classification with fake adapter infos: software rasterisers are recognised, hardware is not,
// and among several adapters hardware beats software and the high-performance (discrete) one beats low-power.
import { describe, expect, it } from 'vitest'
import { preferAdapter, softwareAdapterReason, type AdapterCandidate } from '../../../src-main/ml/webgpu-adapter'

describe('software adapter classification', () => {
  it.each([
    [{ vendor: 'mesa', architecture: 'software', device: 'llvmpipe-llvm-15-0-6-256-bits-', description: 'llvmpipe: Mesa 25.0.7 (LLVM 15.0.6)' }, /llvmpipe/],
    [{ vendor: 'mesa', architecture: '', device: '', description: 'lavapipe' }, /lavapipe/],
    [{ vendor: 'google', architecture: '', device: 'swiftshader', description: 'SwiftShader Device (Subzero)' }, /SwiftShader/],
    [{ vendor: 'microsoft', architecture: '', device: '', description: 'Microsoft Basic Render Driver' }, /Basic Render/],
    [{ vendor: 'microsoft', architecture: '', device: '', description: 'WARP' }, /WARP/],
    [{ vendor: 'unknown', architecture: 'software', device: '', description: '' }, /architecture "software"/],
    [{ vendor: 'x', description: 'y', isFallbackAdapter: true }, /fallback/]
  ])('%o is software', (info, why) => {
    expect(softwareAdapterReason(info)).toMatch(why)
  })

  it.each([
    { vendor: 'nvidia', architecture: 'hopper', device: '', description: 'NVIDIA: 580.159.04' },
    { vendor: 'amd', architecture: 'rdna-3', device: '', description: 'AMD Radeon RX 7900 XTX (RADV NAVI31)' },
    { vendor: 'intel', architecture: 'gen-12lp', device: '', description: 'Intel(R) Iris(R) Xe Graphics' },
    { vendor: 'apple', architecture: 'metal-3', device: '', description: 'Apple M2' },
    {}
  ])('%o is hardware', (info) => {
    expect(softwareAdapterReason(info)).toBeNull()
  })

  it('counts GPUAdapter.isFallbackAdapter (the older place of the flag)', () => {
    expect(softwareAdapterReason({ vendor: 'x', description: 'y' }, true)).toMatch(/fallback/)
  })
})

describe('adapter preference', () => {
  const llvm: AdapterCandidate['info'] = { vendor: 'mesa', architecture: 'software', description: 'llvmpipe: Mesa 25' }
  const dgpu: AdapterCandidate['info'] = { vendor: 'nvidia', architecture: 'ada', description: 'NVIDIA RTX 4090' }
  const igpu: AdapterCandidate['info'] = { vendor: 'intel', architecture: 'gen-12lp', description: 'Intel Iris Xe' }

  it('prefers the discrete (high-performance) GPU when both are hardware', () => {
    const a = preferAdapter([{ powerPreference: 'low-power', info: igpu }, { powerPreference: 'high-performance', info: dgpu }])
    expect(a?.name).toBe('nvidia NVIDIA RTX 4090')
    expect(a?.powerPreference).toBe('high-performance')
    expect(a?.software).toBeNull()
  })

  it('prefers hardware over software whatever the power preference', () => {
    const a = preferAdapter([{ powerPreference: 'high-performance', info: llvm }, { powerPreference: 'low-power', info: igpu }])
    expect(a?.powerPreference).toBe('low-power')
    expect(a?.software).toBeNull()
  })

  it('returns the software adapter, marked, when it is all there is; null when nothing came back', () => {
    const a = preferAdapter([{ powerPreference: 'high-performance', info: llvm }, { powerPreference: 'low-power', info: llvm }])
    expect(a?.software).toMatch(/llvmpipe/)
    expect(preferAdapter([])).toBeNull()
  })
})
