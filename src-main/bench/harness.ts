// Benchmark harness: runs each room's benchmark, stamps every figure with the machine, writes bench/results.json.
import { cpus, totalmem } from 'node:os'
import { mkdirSync, writeFileSync, renameSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { tsxImportArgs } from '../core/entry-point'

export interface BenchContext {
  quick: boolean
  /** scratch folder for generated slides, databases… */
  workDir: string
  log(line: string): void
}

export type BenchFn = (ctx: BenchContext) => Promise<Record<string, unknown>>

export interface BenchReport {
  machine: { cores: number; cpuModel: string; memoryGiB: number; node: string; platform: string }
  quick: boolean
  startedAt: string
  results: Record<string, { ok: true; seconds: number; peakRssMiB: number; figures: Record<string, unknown> } | { ok: false; error: string }>
}

export function machineInfo(): BenchReport['machine'] {
  const list = cpus()
  return {
    cores: list.length,
    cpuModel: list[0]?.model ?? 'unknown',
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.versions.node,
    platform: `${process.platform}-${process.arch}`
  }
}

/** Peak resident set size of this process so far (MiB); reset is not possible, so entries run in their own order. */
export function peakRssMiB(): number {
  return Math.round(process.resourceUsage().maxRSS / 1024)
}

/** What a benchmark child process sends back (run-one.ts, cpu-child.ts): one message, then it exits. */
export interface ChildReply { ok: boolean; figures?: Record<string, unknown>; peakRssMiB?: number; error?: string }

/**
 * Run a bench module (a .ts file next to this one) in its own child process and wait for its one reply, so the peak RSS
 * it reports is its own (maxRSS never goes down in a process). `env` adds to this process's environment.
 */
export function runChild(file: string, args: string[], env: Record<string, string> = {}): Promise<{ figures: Record<string, unknown>; peakRssMiB: number }> {
  const here = dirname(fileURLToPath(import.meta.url))
  const child = fork(join(here, file), args, {
    execArgv: tsxImportArgs(),
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc']
  })
  return new Promise((resolve, reject) => {
    let settled = false
    child.on('message', (m: ChildReply) => {
      settled = true
      if (m.ok) resolve({ figures: m.figures ?? {}, peakRssMiB: m.peakRssMiB ?? 0 })
      else reject(new Error(m.error ?? 'failed'))
    })
    child.on('exit', (code, signal) => {
      if (!settled) reject(new Error(`benchmark process ${file} stopped (${signal ?? `exit code ${code}`})`))
    })
  })
}

/** Run one entry in its own child process so its peak RSS is its own. */
function runIsolated(name: string, ctx: BenchContext): Promise<{ figures: Record<string, unknown>; peakRssMiB: number }> {
  return runChild('run-one.ts', [name, ctx.quick ? 'quick' : 'full', ctx.workDir])
}

export async function runBenchmarks(names: string[], ctx: BenchContext, outFile: string): Promise<BenchReport> {
  const report: BenchReport = { machine: machineInfo(), quick: ctx.quick, startedAt: new Date().toISOString(), results: {} }
  for (const name of names) {
    ctx.log(`bench: ${name}…`)
    const t0 = performance.now()
    try {
      const r = await runIsolated(name, ctx)
      report.results[name] = { ok: true, seconds: (performance.now() - t0) / 1000, peakRssMiB: r.peakRssMiB, figures: r.figures }
    } catch (e) {
      // a failed benchmark is reported as failed, never dropped or replaced by a number
      report.results[name] = { ok: false, error: (e as Error).message }
      ctx.log(`bench: ${name} failed: ${(e as Error).message}`)
    }
  }
  mkdirSync(dirname(outFile), { recursive: true })
  writeFileSync(`${outFile}.tmp`, JSON.stringify(report, null, 2))
  renameSync(`${outFile}.tmp`, outFile)
  return report
}

/** A readable table: one line per figure. */
export function formatReport(report: BenchReport): string {
  const lines = [`machine: ${report.machine.cores} cores, ${report.machine.cpuModel}, ${report.machine.memoryGiB} GiB, node ${report.machine.node}`]
  for (const [name, r] of Object.entries(report.results)) {
    if (!r.ok) {
      lines.push(`${name}: FAILED — ${r.error}`)
      continue
    }
    lines.push(`${name} (${r.seconds.toFixed(1)} s, peak RSS ${r.peakRssMiB} MiB)`)
    for (const [k, v] of Object.entries(r.figures)) {
      // a list of strings is a pre-formatted table (cpu bench): one line each
      if (Array.isArray(v) && v.every((l) => typeof l === 'string')) lines.push(`  ${k}:`, ...v.map((l) => `    ${l}`))
      else lines.push(`  ${k.padEnd(44)} ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
    }
  }
  return lines.join('\n')
}
