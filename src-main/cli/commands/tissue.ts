// CLI: project tissue (the project's tissue method), slide tissue (a slide's mask coverage), slide tissue-import (a
// QuPath GeoJSON annotation for the geojson method).
import { resolve } from 'node:path'
import type { Project } from '../../../src-shared/domain/types'
import type { TissueSummary } from '../../../src-shared/contracts/slides'
import { CliUsageError, type CliCommand } from '../command'
import { tissueFromArgs, tissueHelp, tissueOptions } from './cli-options'

const pct = (x: number): string => `${(x * 100).toFixed(1)} %`

export const humanTissue = (r: unknown): string => {
  const t = r as TissueSummary & { polygons?: number }
  const th = t.method === 'geojson' ? 'from annotation' : `threshold ${t.threshold}${t.darknessThreshold !== undefined ? ` (darkness ${t.darknessThreshold})` : ''}`
  return `slide ${t.slideId}: tissue ${pct(t.coverage)} of the slide (${t.method}, ${th}; mask ${t.width}×${t.height})${t.polygons !== undefined ? `; ${t.polygons} polygon(s) imported` : ''}`
}

export const tissueCommands: CliCommand[] = [
  {
    name: 'project tissue',
    summary: 'Show or set the tissue method grids of a project are built with (combined, otsu-saturation, otsu-grey, geojson)',
    usage: '<project>',
    options: { ...tissueOptions(), default: { type: 'boolean' } },
    optionHelp: [...tissueHelp, '--default                back to the default (combined)'],
    async run(ctx, args) {
      const ref = args.positionals[0]
      if (!ref) throw new CliUsageError('missing <project>')
      const core = ctx.core()
      const project = core.projects.resolve(ref)
      if (args.values['default'] === true) return core.dispatch('project.setTissue', { id: project.id, tissue: null })
      const tissue = tissueFromArgs(args)
      return tissue ? core.dispatch('project.setTissue', { id: project.id, tissue }) : project
    },
    human: (r) => {
      const p = r as Project
      const t = p.tissue
      return `${p.name}: tissue method ${t ? t.method : 'combined (default)'}${t?.saturationThreshold !== undefined ? `, saturation > ${t.saturationThreshold}` : ''}${t?.darknessThreshold !== undefined ? `, darkness > ${t.darknessThreshold}` : ''}`
    }
  },
  {
    name: 'slide tissue',
    summary: "A slide's tissue mask (the project's method unless --tissue-method): how much of the slide it calls tissue",
    usage: '<slide id>',
    options: tissueOptions(),
    optionHelp: tissueHelp,
    async run(ctx, args) {
      const id = Number(args.positionals[0])
      if (!Number.isInteger(id) || id <= 0) throw new CliUsageError('usage: slide tissue <slide id> [--tissue-method M]')
      const tissue = tissueFromArgs(args)
      return ctx.core().dispatch('slide.tissue', { id, ...(tissue ? { tissue } : {}) })
    },
    human: humanTissue
  },
  {
    name: 'slide tissue-import',
    summary: 'Import a tissue annotation (GeoJSON polygons in level-0 px, e.g. exported from QuPath) for the geojson method',
    usage: '<slide id> <file.geojson>',
    async run(ctx, args) {
      const [id, file] = args.positionals
      if (!id || !file || !(Number(id) > 0)) throw new CliUsageError('usage: slide tissue-import <slide id> <file.geojson>')
      return ctx.core().dispatch('slide.importTissue', { id: Number(id), file: resolve(file) })
    },
    human: humanTissue
  }
]
