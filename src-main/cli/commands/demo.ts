// CLI: demo — the main job: the full MCM+KD pipeline on the bundled synthetic cohort, with the comparison table.
import { join, resolve } from 'node:path'
import { appRoot } from '../../core/app-root'
import { runDemo, type DemoResult } from '../../demo/demo-pipeline'
import { printTable } from '../../eval/report'
import { outcomeLines } from '../../demo/preregistered-outcome'
import { intOption, type CliCommand } from '../command'
import { followJob } from './job'
import { DEFAULT_COHORT_SEED } from '../../cohort/generate'

export const demoCommand: CliCommand = {
  name: 'demo',
  summary: 'Run the whole pipeline on the synthetic demo cohort (cohort, features, 1 epoch MCM+KD, ABMIL 5-fold CV, report, exports)',
  options: { out: { type: 'string' }, seed: { type: 'string' }, smoke: { type: 'boolean' } },
  optionHelp: [
    '--out <dir>   output folder (default demo-output/)',
    `--seed S     cohort and run seed (default ${DEFAULT_COHORT_SEED})`,
    '--smoke      small models and a few minutes: checks the pipeline, NOT the pre-registered test (resources/demo/PREREGISTRATION.md)'
  ],
  async run(ctx, args) {
    const root = appRoot()
    const seed = intOption(args, 'seed', DEFAULT_COHORT_SEED)
    const outDir = resolve(typeof args.values['out'] === 'string' ? args.values['out'] : join(root, 'demo-output'))
    const t0 = performance.now()
    const result = await runDemo(ctx.core(), root, {
      outDir,
      cacheDir: process.env['TESSERA_DEMO_CACHE'] ?? join(root, '.cache', 'demo'),
      seed,
      profile: args.values['smoke'] === true ? 'smoke' : 'full',
      follow: (job) => followJob(ctx, job),
      log: ctx.log
    })
    const total = (performance.now() - t0) / 1000
    ctx.log(`\n${printTable(result.report)}`)
    if (result.preregistered) ctx.log(`\n${outcomeLines(result.preregistered).join('\n')}`)
    else ctx.log('\n(--smoke: a pipeline check with small models, not the pre-registered test; no verdict is computed)')
    ctx.log(`\ncached steps reused: ${result.cacheHits.length ? result.cacheHits.join('; ') : 'none (first run)'}`)
    ctx.log(`computed this run:   ${result.computed.length ? result.computed.join('; ') : 'nothing (everything came from the caches)'}`)
    ctx.log(`total ${total.toFixed(0)} s; peak RSS ${result.peakRssMiB} MiB (largest job process); report: ${join(outDir, 'report.html')}`)
    return { ...result, totalSeconds: total }
  },
  human: (r) => {
    const d = r as DemoResult & { totalSeconds: number }
    return `${printTable(d.report)}\n\nwrote ${d.outDir}/report.html, report.json, model/, features/ (${d.totalSeconds.toFixed(0)} s)`
  }
}
