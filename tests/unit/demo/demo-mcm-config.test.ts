import { describe, expect, it } from 'vitest'
import { McmConfig } from '../../../src-shared/contracts/train'
import { configCovers, DEMO_MCM_REASONS, demoMcmConfig } from '../../../src-main/demo/demo-mcm-config'

describe('demo MCM+KD config', () => {
  const grid = { targetMpp: 1, patchSize: 64, overlap: 0, minTissue: 0.5 }
  const T = '/cohort/truth.json'

  it('is a valid run config, and the stored (defaults-filled) config covers it', () => {
    const stored = McmConfig.parse(demoMcmConfig(3, grid, T))
    // the default recipe: ≥ 8 windows per step, BatchNorm in training mode
    expect(stored.batchWindows).toBeGreaterThanOrEqual(8)
    expect(stored.freezeBnStats).toBe(false)
    expect(stored.epochs).toBe(1)
    expect(configCovers(stored, demoMcmConfig(3, grid, T))).toBe(true)
  })

  it('a run with another seed, batch size or grid is not reused', () => {
    const stored = McmConfig.parse(demoMcmConfig(3, grid, T))
    expect(configCovers(stored, demoMcmConfig(4, grid, T))).toBe(false)
    expect(configCovers(McmConfig.parse({ ...demoMcmConfig(3, grid, T), batchWindows: 4 }), McmConfig.parse(demoMcmConfig(3, grid, T)))).toBe(false)
    // a run stored under other defaults (here an older student learning rate) is not reused either: the pipeline
    // compares against the fully parsed config, so a changed default reruns the demo's fine-tuning
    const older = McmConfig.parse({ ...demoMcmConfig(3, grid, T), optim: { lrStudent: 1e-4 } })
    expect(configCovers(older, McmConfig.parse(demoMcmConfig(3, grid, T)))).toBe(false)
    expect(configCovers(stored, demoMcmConfig(3, { ...grid, patchSize: 32 }, T))).toBe(false)
  })

  it('every value that differs from the trainer default has a reason', () => {
    const defaults = McmConfig.parse({}) as Record<string, unknown>
    for (const [k, v] of Object.entries(demoMcmConfig(0, defaults['grid'] as object, T))) {
      if (k === 'seed' || k === 'grid') continue
      if (JSON.stringify(defaults[k]) !== JSON.stringify(v)) expect(DEMO_MCM_REASONS[k], k).toBeTruthy()
    }
  })
})
