// Compute-backend report for the API (system.backends): probed once per app start in a child process, because
// probing loads TF.js, Dawn and onnxruntime, which the UI process must not load.
import { launchChild } from './child-launch'
import { processEntry } from './entry-point'
import type { BackendsReport } from '../../src-shared/contracts/system'

let cached: Promise<BackendsReport> | null = null

export function probeBackends(): Promise<BackendsReport> {
  cached ??= new Promise<BackendsReport>((resolve, reject) => {
    const entry = processEntry(import.meta.url, 'backend-probe-main', '../workers')
    const child = launchChild(entry.file, { execArgv: entry.execArgv, stdout: 'ignore', stderr: 'ignore' })
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000)
    child.on('message', (m: { ok: boolean; report?: BackendsReport; error?: string }) => {
      clearTimeout(timer)
      if (m.ok && m.report) resolve(m.report)
      else reject(new Error(`backend probe failed: ${m.error ?? 'no report'}`))
    })
    child.on('exit', (code, signal) => {
      clearTimeout(timer)
      reject(new Error(`backend probe process stopped (${signal ?? `exit code ${code}`}) before reporting`))
    })
  }).catch((e: unknown) => {
    cached = null // a failed probe is retried on the next call
    throw e
  })
  return cached
}
