// system.backends: the compute backends are probed in a child process and reported with reasons.
import { describe, expect, it } from 'vitest'
import { join } from 'node:path'
import { createCore } from '../../../src-main/core/core'
import type { BackendsReport } from '../../../src-shared/contracts/system'
import { tempDir } from '../../helpers/tmp'

describe('system.backends', () => {
  it('reports the chosen TF.js backend and a reason for every backend', async () => {
    const core = createCore({ dbPath: join(tempDir('be-'), 't.db'), door: 'http' })
    try {
      const r = (await core.dispatch('system.backends', {})) as BackendsReport
      expect(['tensorflow', 'webgpu', 'wasm', 'cpu']).toContain(r.tfjs.chosen)
      expect(r.tfjs.found.map((f) => f.backend)).toEqual(expect.arrayContaining(['tensorflow', 'webgpu', 'wasm', 'cpu']))
      for (const f of r.tfjs.found) expect(f.reason.length).toBeGreaterThan(5)
      expect(r.onnxruntime.providers.some((p) => p.name === 'cpu' && p.usable)).toBe(true)
    } finally {
      core.close()
    }
  })
})
