// GPU backends (webgpu via Dawn, tensorflow via tfjs-node-gpu) against the cpu backend on small shapes (checks.ts).
// Runs only where the backend is available (a software adapter counts: the checks force webgpu, e.g. on Mesa lavapipe
// in CI); elsewhere each suite prints why it was skipped. TESSERA_REQUIRE_WEBGPU=1 (set by .ci/run, whose set-up
// installs lavapipe) turns a missing webgpu adapter into a failure instead of a skip.
// Standalone: `npx vitest run tests/gpu` (well under 2 minutes). TESSERA_GPU_TEST_ALSO=wasm also checks wasm.
import { describe, expect, it } from 'vitest'
import { describeBackends, type BackendName } from '../../src-main/ml/backend'
import { checks } from './checks'

const report = await describeBackends()
for (const f of report.found) console.log(`[gpu tests] ${f.name}: ${f.available ? 'available' : 'unavailable'} — ${f.reason}`)

const targets: BackendName[] = ['webgpu', 'tensorflow', ...(process.env['TESSERA_GPU_TEST_ALSO'] === 'wasm' ? ['wasm' as const] : [])]
for (const target of targets) {
  const probe = report.found.find((f) => f.backend === target && f.available)
  if (!probe) console.log(`[gpu tests] SKIPPED ${target}: ${report.found.filter((f) => f.backend === target).map((f) => f.reason).join('; ')}`)
  describe.skipIf(!probe)(`${target} backend vs cpu`, () => {
    for (const check of checks) {
      it(check.name, async () => {
        const errs = await check.run(target)
        expect(errs.length).toBeGreaterThan(0)
        errs.forEach((e, i) => expect(e, `output ${i}`).toBeLessThan(check.limit))
      })
    }
  })
}

it.runIf(process.env['TESSERA_REQUIRE_WEBGPU'] === '1')('finds a webgpu adapter (TESSERA_REQUIRE_WEBGPU=1)', () => {
  const webgpu = report.found.find((f) => f.backend === 'webgpu')
  expect(webgpu?.available, webgpu?.reason).toBe(true)
})

it('reports the backends it found', () => {
  expect(report.found.length).toBeGreaterThanOrEqual(4)
})
