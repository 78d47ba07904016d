// CLI: labels import <csv> --project P [--dry-run] | labels list --project P.
import { resolve } from 'node:path'
import type { LabelImportResult, SlideLabel } from '../../../src-shared/contracts/eval'
import { CliUsageError, requireString, type CliCommand } from '../command'

export const labelCommands: CliCommand[] = [
  {
    name: 'labels import',
    summary: 'Import slide labels from a CSV (columns: slide id/name/file, label; optional patient_id, fold)',
    usage: '<csv>',
    options: { project: { type: 'string' }, 'dry-run': { type: 'boolean' } },
    optionHelp: ['--project P   project name or id', '--dry-run     validate only, store nothing'],
    async run(ctx, args) {
      const csv = args.positionals[0]
      if (!csv) throw new CliUsageError('missing <csv>')
      const core = ctx.core()
      const project = core.projects.resolve(requireString(args, 'project'))
      return core.dispatch('labels.import', { projectId: project.id, csvPath: resolve(csv), dryRun: args.values['dry-run'] === true })
    },
    human: (r) => {
      const x = r as LabelImportResult
      const classes = x.classes.map((c) => `${c.label} (${c.count})`).join(', ')
      const head = x.dryRun ? `valid: would label ${x.classes.reduce((a, c) => a + c.count, 0)} slides` : `labelled ${x.imported} slides`
      const rest = x.unlabelledSlides.length ? `\n${x.unlabelledSlides.length} slide(s) without a label: ${x.unlabelledSlides.slice(0, 10).join(', ')}${x.unlabelledSlides.length > 10 ? ', …' : ''}` : ''
      return `${head} · ${x.task} · ${classes}${rest}`
    }
  },
  {
    name: 'labels list',
    summary: 'List the labelled slides of a project',
    options: { project: { type: 'string' } },
    optionHelp: ['--project P   project name or id'],
    async run(ctx, args) {
      const core = ctx.core()
      return core.dispatch('labels.list', { projectId: core.projects.resolve(requireString(args, 'project')).id })
    },
    human: (r) =>
      (r as SlideLabel[]).map((s) => `${String(s.slideId).padStart(5)}  ${s.name.padEnd(32)} ${s.label.padEnd(12)} ${s.patientId}${s.fold === null ? '' : `  fold ${s.fold}`}`).join('\n') ||
      'no labelled slides'
  }
]
