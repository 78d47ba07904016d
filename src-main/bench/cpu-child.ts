// Child-process entry of one CPU bench workload (cpu-workloads.ts): runs it, sends back its rates and this process's
// peak RSS (its own: one workload per process) and its RSS before the workload started (Node + imports).
import type { ChildReply } from './harness'
import { peakRssMiB } from './harness'
import { runWorkload, type CpuWorkload } from './cpu-workloads'

const [spec = '{}', workDir = '.'] = process.argv.slice(2)

async function main(): Promise<void> {
  const w = JSON.parse(spec) as CpuWorkload
  const startupRssMiB = peakRssMiB()
  const r = await runWorkload(w, workDir)
  const reply: ChildReply = { ok: true, figures: { ...r, startupRssMiB }, peakRssMiB: peakRssMiB() }
  process.send?.(reply)
}

main()
  .catch((e: unknown) => process.send?.({ ok: false, error: (e as Error).message } satisfies ChildReply))
  .finally(() => setTimeout(() => process.exit(0), 50))
