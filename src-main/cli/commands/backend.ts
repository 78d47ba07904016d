// CLI: backend — the compute backends found (TF.js: chosen one and why others were skipped; onnxruntime providers).
import type { CliCommand } from '../command'
import { stringOption } from './cli-options'

interface Report {
  tfjs: { chosen: string; adapter: string; why: string; found: { name: string; available: boolean; reason: string; autoSkip?: string }[] }
  onnxruntime: { version: string | null; providers: { name: string; usable: boolean; reason: string }[] }
}

export const backendCommand: CliCommand = {
  name: 'backend',
  summary: 'Show the compute backends found, the one chosen and why others were skipped',
  options: { force: { type: 'string' } },
  optionHelp: ['--force B   check that backend B (tensorflow|webgpu|wasm|cpu) can be used'],
  async run(_ctx, args) {
    // loaded on demand: TF.js is heavy and only this command needs it
    const { backendReport } = await import('../../workers/backend-report')
    return backendReport(stringOption(args, 'force'))
  },
  human(r) {
    const rep = r as Report
    const lines = [`TF.js backend: ${rep.tfjs.chosen} on ${rep.tfjs.adapter} (${rep.tfjs.why})`]
    // ~ = usable when forced, skipped by automatic selection (a software GPU adapter)
    for (const f of rep.tfjs.found) lines.push(`  ${f.autoSkip ? '~' : f.available ? '✓' : '✗'} ${f.name}: ${f.reason}`)
    lines.push(`onnxruntime-node ${rep.onnxruntime.version ?? '(not loadable)'}:`)
    for (const p of rep.onnxruntime.providers) lines.push(`  ${p.usable ? '✓' : '✗'} ${p.name}: ${p.reason}`)
    return lines.join('\n')
  }
}
