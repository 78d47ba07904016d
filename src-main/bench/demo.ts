// End-to-end benchmark: wall time and peak RSS of the demo pipeline (first run and the cached second run),
// in fresh output and cache folders so nothing is reused from earlier runs.
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { appRoot } from '../core/app-root'
import type { BenchContext } from './harness'

function timedDemo(root: string, out: string, db: string): { seconds: number; peakRssMiB: number; ok: boolean; tail: string } {
  const t0 = performance.now()
  // /usr/bin/time is not guaranteed; the child's peak RSS is read from its own report instead
  const r = spawnSync(process.execPath, ['--max-old-space-size=4096', join(root, 'bin', 'tessera.mjs'), '--db', db, 'demo', '--out', out, '--json'], {
    encoding: 'utf8',
    env: { ...process.env, TESSERA_DEMO_CACHE: join(out, '..', 'cache') },
    maxBuffer: 64 * 1024 * 1024
  })
  const seconds = (performance.now() - t0) / 1000
  const peak = /peak RSS (\d+) MiB/.exec(r.stderr ?? '')
  return { seconds, peakRssMiB: peak ? Number(peak[1]) : -1, ok: r.status === 0, tail: (r.stderr ?? '').slice(-400) }
}

export async function benchDemo(ctx: BenchContext): Promise<Record<string, unknown>> {
  if (ctx.quick) return { skipped: 'end-to-end demo runs only without --quick (it takes several minutes); see the README for the last measured time' }
  const root = appRoot()
  const db = join(ctx.workDir, 'demo.db')
  const first = timedDemo(root, join(ctx.workDir, 'run1'), db)
  if (!first.ok) throw new Error(`demo failed: ${first.tail}`)
  const second = timedDemo(root, join(ctx.workDir, 'run2'), db)
  if (!second.ok) throw new Error(`second demo run failed: ${second.tail}`)
  return {
    first_run_seconds: Math.round(first.seconds),
    second_run_seconds: Math.round(second.seconds),
    speedup_from_caches: Math.round((first.seconds / second.seconds) * 10) / 10,
    first_run_peak_rss_mib: first.peakRssMiB,
    note: 'peak RSS is the CLI process (job processes report their own in the demo log)'
  }
}
