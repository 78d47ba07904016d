// The GPU bench never turns a missing or software GPU into a figure: each such backend is "not measured" with its reason.
import { describe, expect, it } from 'vitest'
import { notMeasuredReason } from '../../../src-main/bench/gpu'
import type { BackendProbe } from '../../../src-main/ml/backend'

const lavapipe: BackendProbe = {
  name: 'webgpu (webgpu/Dawn + @tensorflow/tfjs-backend-webgpu)', backend: 'webgpu', available: true, reason: 'adapter: mesa llvmpipe',
  adapter: { name: 'mesa llvmpipe', vendor: 'mesa', architecture: 'software', device: 'llvmpipe', description: 'llvmpipe', powerPreference: 'high-performance', software: 'software adapter (Mesa llvmpipe)' },
  autoSkip: 'software adapter (Mesa llvmpipe): mesa llvmpipe'
}
const h100: BackendProbe = { ...lavapipe, reason: 'adapter: nvidia', adapter: { ...lavapipe.adapter!, name: 'nvidia NVIDIA H100', software: null } }
delete h100.autoSkip
const tfNode: BackendProbe = { name: 'tensorflow (@tensorflow/tfjs-node)', backend: 'tensorflow', available: true, reason: 'loaded (libtensorflow CPU)' }
const tfMissing: BackendProbe = { name: 'tensorflow (@tensorflow/tfjs-node-gpu)', backend: 'tensorflow', available: false, reason: 'no NVIDIA/CUDA GPU found' }

describe('gpu bench: what is measured', () => {
  it('a software adapter is not measured unless asked for (then as a labelled correctness run)', () => {
    expect(notMeasuredReason([lavapipe], 'webgpu', false)).toMatch(/^not measured: software adapter \(Mesa llvmpipe\)/)
    expect(notMeasuredReason([lavapipe], 'webgpu', true)).toBeNull()
  })
  it('a hardware adapter is measured; a missing backend or a CPU-only tensorflow is not', () => {
    expect(notMeasuredReason([h100], 'webgpu', false)).toBeNull()
    expect(notMeasuredReason([tfMissing], 'tensorflow', false)).toBe('not measured: no NVIDIA/CUDA GPU found')
    expect(notMeasuredReason([tfNode], 'tensorflow', false)).toMatch(/not measured: tfjs-node without CUDA/)
    expect(notMeasuredReason([], 'webgpu', false)).toBe('not measured: not probed')
  })
})
