// CLI: bench — every benchmark in its own process, figures to bench/results.json and a readable table.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { benchEntries } from '../../bench/entries'
import { formatReport, runBenchmarks, type BenchReport } from '../../bench/harness'
import { appRoot } from '../../core/app-root'
import { CliUsageError, type CliCommand } from '../command'

export const benchCommand: CliCommand = {
  name: 'bench',
  summary: 'Run the benchmarks (slides, tiles, features, ML, end-to-end) and write bench/results.json',
  options: { quick: { type: 'boolean' }, only: { type: 'string' }, out: { type: 'string' } },
  optionHelp: ['--quick        smaller workloads (a few minutes)', '--only a,b     run only these benchmarks', '--out <file>   results file (default bench/results.json)'],
  async run(ctx, { values }) {
    const all = Object.keys(benchEntries)
    const names = typeof values['only'] === 'string' ? values['only'].split(',').map((s) => s.trim()) : all
    const unknown = names.filter((n) => !all.includes(n))
    if (unknown.length) throw new CliUsageError(`unknown benchmark(s): ${unknown.join(', ')}; known: ${all.join(', ')}`)
    const out = typeof values['out'] === 'string' ? values['out'] : join(appRoot(), 'bench', 'results.json')
    const workDir = mkdtempSync(join(tmpdir(), 'tessera-bench-'))
    try {
      const report = await runBenchmarks(names, { quick: values['quick'] === true, workDir, log: ctx.log }, out)
      ctx.log(`wrote ${out}`)
      return report
    } finally {
      rmSync(workDir, { recursive: true, force: true })
    }
  },
  human: (r) => formatReport(r as BenchReport)
}
