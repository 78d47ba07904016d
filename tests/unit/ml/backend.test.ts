// Backend selection: every candidate is reported with a reason, forcing works and bad names fail clearly.
import { describe, expect, it, afterEach } from 'vitest'
import * as tf from '@tensorflow/tfjs'
import { describeBackends, initBackend } from '../../../src-main/ml/backend'

describe('backend selection', () => {
  afterEach(() => { delete process.env['TESSERA_BACKEND'] })

  // first in this file: the webgpu probe is cached per process and installs navigator.gpu once it has run
  it('probes only the forced backend: TESSERA_BACKEND=wasm never initialises Dawn', async () => {
    process.env['TESSERA_BACKEND'] = 'wasm'
    const r = await describeBackends()
    expect(r.chosen).toBe('wasm')
    expect(r.adapter).toMatch(/CPU/)
    expect(r.found.find((f) => f.backend === 'webgpu')?.reason).toMatch(/not probed: wasm forced by TESSERA_BACKEND/)
    expect((globalThis as { navigator?: { gpu?: unknown } }).navigator?.gpu).toBeUndefined()
  })

  it('never chooses a software WebGPU adapter automatically, and says so', async () => {
    const r = await describeBackends()
    const webgpu = r.found.find((f) => f.backend === 'webgpu')
    console.log(`[backend test] webgpu probe: ${webgpu?.reason}`)
    if (webgpu?.adapter?.software) {
      // e.g. CI with Mesa lavapipe from bookworm-backports: available when forced, skipped otherwise
      expect(webgpu.available).toBe(true)
      expect(r.chosen).not.toBe('webgpu')
      expect(r.why).toMatch(/skipped .*webgpu.*software adapter/)
    } else if (webgpu?.available) {
      expect(webgpu.autoSkip).toBeUndefined()
    }
    if (r.chosen === 'webgpu') expect(webgpu?.adapter?.software).toBeNull()
  })

  it('reports every candidate with a reason and picks the first available', async () => {
    const r = await describeBackends()
    expect(r.found.map((f) => f.backend)).toEqual(expect.arrayContaining(['tensorflow', 'webgpu', 'wasm', 'cpu']))
    for (const f of r.found) expect(f.reason.length).toBeGreaterThan(5)
    const firstAvailable = r.found.find((f) => f.available && !f.autoSkip) // a software GPU adapter is passed by
    expect(r.chosen).toBe(firstAvailable?.backend)
    // tfjs-node(-gpu) are not installed in this repo's environment: they must be reported, not silently skipped
    const tfNode = r.found.filter((f) => f.backend === 'tensorflow')
    expect(tfNode.length).toBeGreaterThan(0)
    if (!tfNode.some((f) => f.available)) expect(r.why).toMatch(/skipped .*tensorflow/)
  })

  it('forcing by option or TESSERA_BACKEND switches tfjs', async () => {
    const r = await initBackend({ force: 'cpu' })
    expect(r.chosen).toBe('cpu')
    expect(r.why).toMatch(/forced by option/)
    expect(tf.getBackend()).toBe('cpu')
    process.env['TESSERA_BACKEND'] = 'wasm'
    const r2 = await initBackend()
    expect(r2.why).toMatch(/TESSERA_BACKEND/)
    expect(tf.getBackend()).toBe('wasm')
  })

  it('rejects unknown or unavailable forced backends with the reason', async () => {
    process.env['TESSERA_BACKEND'] = 'cuda'
    await expect(describeBackends()).rejects.toThrow(/unknown backend 'cuda'/)
    delete process.env['TESSERA_BACKEND']
    const r = await describeBackends()
    const missing = r.found.find((f) => !f.available)
    if (missing) await expect(describeBackends({ force: missing.backend })).rejects.toThrow(/not available/)
  })
})
