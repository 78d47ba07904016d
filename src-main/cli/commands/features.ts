// CLI: features extract | import | export | list | delete — teacher features cached per slide, HDF5 interop (TRIDENT/CLAM/STAMP).
import type { Job } from '../../../src-shared/domain/types'
import type { FeatureDeleteReply, FeatureExportReply, FeatureImportFileReport, FeatureSetSummary } from '../../../src-shared/contracts/features'
import { CliUsageError, intOption, requireString, type CliCommand, type CliContext } from '../command'
import { followJob } from './job'
import { gridFromArgs, gridHelp, gridOptions, stringOption } from './cli-options'

const projectId = (ctx: CliContext, ref: string): number => ctx.core().projects.resolve(ref).id

export const featureCommands: CliCommand[] = [
  {
    name: 'features extract',
    summary: 'Run a model over every grid patch of a project\'s slides and cache the vectors (resumable per slide)',
    options: {
      project: { type: 'string' },
      model: { type: 'string' },
      slides: { type: 'string' },
      dtype: { type: 'string' },
      batch: { type: 'string' },
      readers: { type: 'string' },
      provider: { type: 'string' },
      threads: { type: 'string' },
      ...gridOptions
    },
    optionHelp: [
      '--project P       project name or id',
      '--model M         registered model (tessera model list)',
      '--slides 1,2,3    only these slide ids (default: all readable slides)',
      '--dtype D         float16 (default) or float32 storage',
      '--batch N         patches per inference batch (default 32)',
      '--readers N       concurrent patch reads (default 4)',
      '--provider P      ONNX provider: auto (default; CUDA when usable), cpu, cuda',
      '--threads N       ONNX intra-op threads (default: all cores)',
      ...gridHelp
    ],
    async run(ctx, args) {
      const req: Record<string, unknown> = { projectId: projectId(ctx, requireString(args, 'project')), model: requireString(args, 'model') }
      const slides = stringOption(args, 'slides')
      if (slides) {
        const ids = slides.split(',').map(Number)
        if (ids.some((x) => !Number.isInteger(x) || x <= 0)) throw new CliUsageError('--slides takes slide ids like 1,2,3')
        req['slideIds'] = ids
      }
      const grid = gridFromArgs(args)
      if (Object.keys(grid).length) req['grid'] = { targetMpp: 0.5, patchSize: 224, overlap: 0, minTissue: 0.25, ...grid }
      const dtype = stringOption(args, 'dtype')
      if (dtype) req['dtype'] = dtype
      if (args.values['batch'] !== undefined) req['batchSize'] = intOption(args, 'batch', 32)
      if (args.values['readers'] !== undefined) req['readers'] = intOption(args, 'readers', 4)
      if (args.values['threads'] !== undefined) req['threads'] = intOption(args, 'threads', 1)
      const provider = stringOption(args, 'provider')
      if (provider) req['provider'] = provider
      const job = (await ctx.core().dispatch('features.extract', req)) as Job
      return followJob(ctx, job)
    },
    human: (r) => {
      const res = (r as Job).result ?? {}
      return `features: ${res['computed']} slide(s) computed, ${res['skipped']} already cached; ${res['patchesEncoded']} patches at ${Number(res['patchesPerSecond'] ?? 0).toFixed(1)} patches/s on ${res['backend']}`
    }
  },
  {
    name: 'features import',
    summary: 'Import per-slide HDF5 features (TRIDENT/CLAM/STAMP) matched to the project\'s grid by coordinates',
    usage: '<files…>',
    options: { project: { type: 'string' }, encoder: { type: 'string' }, dtype: { type: 'string' }, ...gridOptions },
    optionHelp: ['--project P       project name or id', '--encoder NAME    label of the encoder (default: the file\'s `encoder` attribute)', '--dtype D         float32 (default) or float16 storage', ...gridHelp],
    async run(ctx, args) {
      if (args.positionals.length === 0) throw new CliUsageError('give one or more .h5 files')
      const req: Record<string, unknown> = { projectId: projectId(ctx, requireString(args, 'project')), files: args.positionals }
      const encoder = stringOption(args, 'encoder')
      if (encoder) req['encoder'] = encoder
      const dtype = stringOption(args, 'dtype')
      if (dtype) req['dtype'] = dtype
      const grid = gridFromArgs(args)
      if (Object.keys(grid).length) req['grid'] = grid
      const reports = (await ctx.core().dispatch('features.import', req)) as FeatureImportFileReport[]
      const bad = reports.filter((x) => !x.ok)
      if (bad.length === reports.length) throw new Error(bad.map((b) => b.error).join('\n'))
      for (const b of bad) ctx.log(`failed: ${b.error}`)
      return reports
    },
    human: (r) =>
      (r as FeatureImportFileReport[])
        .map((x) =>
          x.ok
            ? `${x.file} → ${x.slide}: ${x.matched}/${x.rows} rows matched (${x.unmatchedFileRows} off-grid, ${x.gridPatchesWithoutFeatures} grid patches without features)${x.warnings?.length ? `; ${x.warnings.join('; ')}` : ''}`
            : `${x.file}: ${x.error}`
        )
        .join('\n')
  },
  {
    name: 'features export',
    summary: 'Export cached features to TRIDENT-layout HDF5 (<grid>/<mag>x_<ps>px_<ov>px_overlap/features_<encoder>/<slide>.h5)',
    options: {
      project: { type: 'string' },
      model: { type: 'string' },
      format: { type: 'string' },
      out: { type: 'string' },
      force: { type: 'boolean' },
      'grid-key': { type: 'string' }
    },
    optionHelp: [
      '--project P    project name or id',
      '--model M      registered model, or "imported:<encoder>"',
      '--format h5    (the only format)',
      '--out DIR      output root folder',
      '--grid-key G   only this grid (its name from features list; default: every grid, each in its own folder)',
      '--force        replace existing files'
    ],
    async run(ctx, args) {
      const format = stringOption(args, 'format') ?? 'h5'
      if (format !== 'h5') throw new CliUsageError('--format must be h5')
      const reply = (await ctx.core().dispatch('features.export', {
        projectId: projectId(ctx, requireString(args, 'project')),
        model: requireString(args, 'model'),
        format,
        out: requireString(args, 'out'),
        force: args.values['force'] === true,
        ...(stringOption(args, 'grid-key') ? { gridKey: stringOption(args, 'grid-key') } : {})
      })) as FeatureExportReply
      for (const s of reply.skipped) ctx.log(`skipped ${s.slide}: ${s.reason}`)
      for (const f of reply.files) if (f.note) ctx.log(`${f.file}: ${f.note}`)
      if (reply.failed.length) throw new Error(`${reply.failed.length} file(s) not exported:\n${reply.failed.map((f) => f.error).join('\n')}`)
      return reply
    },
    human: (r) => (r as FeatureExportReply).files.map((f) => `${f.file}  (${f.count}×${f.dim})`).join('\n')
  },
  {
    name: 'features list',
    summary: 'List cached feature sets of a project',
    options: { project: { type: 'string' }, model: { type: 'string' } },
    optionHelp: ['--project P   project name or id', '--model M     only this model'],
    async run(ctx, args) {
      const model = stringOption(args, 'model')
      return ctx.core().dispatch('features.list', { projectId: projectId(ctx, requireString(args, 'project')), ...(model ? { model } : {}) })
    },
    human: (r) =>
      (r as FeatureSetSummary[])
        .map((s) => `${String(s.id).padStart(4)}  ${String(s.slideName).padEnd(20)} ${s.count}×${s.dim} ${s.dtype}  ${s.grid}  ${s.encoderKey}`)
        .join('\n') || 'no cached features'
  },
  {
    name: 'features delete',
    summary: 'Delete cached feature sets of a project\'s slides, by model, grid and/or set id',
    options: { project: { type: 'string' }, model: { type: 'string' }, 'grid-key': { type: 'string' }, ids: { type: 'string' }, yes: { type: 'boolean' } },
    optionHelp: [
      '--project P    project name or id',
      '--model M      only sets of this model',
      '--grid-key G   only sets of this grid (name from features list)',
      '--ids 1,2      only these feature-set ids (features list)',
      '--yes          required: deleting cannot be undone (a slide file shared with another project loses its sets there too)'
    ],
    async run(ctx, args) {
      if (args.values['yes'] !== true) throw new CliUsageError('features delete removes cached vectors for good: add --yes')
      const req: Record<string, unknown> = { projectId: projectId(ctx, requireString(args, 'project')), confirm: true }
      const model = stringOption(args, 'model')
      if (model) req['model'] = model
      const grid = stringOption(args, 'grid-key')
      if (grid) req['gridKey'] = grid
      const ids = stringOption(args, 'ids')
      if (ids) {
        const list = ids.split(',').map(Number)
        if (list.some((x) => !Number.isInteger(x) || x <= 0)) throw new CliUsageError('--ids takes feature-set ids like 1,2,3')
        req['setIds'] = list
      }
      if (!model && !grid && !ids) throw new CliUsageError('name what to delete: --model, --grid-key and/or --ids')
      return ctx.core().dispatch('features.delete', req)
    },
    human: (r) => {
      const d = (r as FeatureDeleteReply).deleted
      return `deleted ${d.length} feature set(s)\n` + d.map((x) => `${String(x.id).padStart(4)}  ${String(x.slideName).padEnd(20)} ${x.grid}  ${x.encoderKey}`).join('\n')
    }
  }
]

