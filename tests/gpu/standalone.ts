// Standalone runner of the GPU checks (no vitest), for bundling onto a GPU machine without node_modules:
// prints the backend report and each check's relative errors as JSON lines; exit code 1 if any check fails.
import { describeBackends } from '../../src-main/ml/backend'
import { checks } from './checks'

const report = await describeBackends()
console.log(JSON.stringify({ backends: report.found }))
let failed = 0
for (const target of ['webgpu', 'tensorflow', 'wasm'] as const) {
  const probe = report.found.find((f) => f.backend === target && f.available)
  if (!probe) { console.log(JSON.stringify({ target, skipped: report.found.filter((f) => f.backend === target).map((f) => f.reason) })); continue }
  for (const c of checks) {
    const t0 = performance.now()
    try {
      const errs = await c.run(target)
      const ok = errs.every((e) => e < c.limit)
      if (!ok) failed++
      console.log(JSON.stringify({ target, check: c.name, ok, maxRelErr: Math.max(...errs), limit: c.limit, ms: Math.round(performance.now() - t0) }))
    } catch (err) {
      failed++
      console.log(JSON.stringify({ target, check: c.name, ok: false, error: (err as Error).message }))
    }
  }
}
process.exit(failed ? 1 : 0)
