// CLI: cluster export | import | status, features extract-shard — teacher features as a SLURM job array over a
// self-contained work folder, merged back into the feature cache (the database never leaves this machine).
import { resolve } from 'node:path'
import { exportWorkFolder, type ClusterExportResult } from '../../cluster/export'
import { extractShard, type ExtractShardResult } from '../../cluster/extract-shard'
import { importWorkFolder, type ClusterImportResult } from '../../cluster/import'
import { statusText, trainStatus, trainStatusText, workStatus, type ClusterStatus, type TrainWorkStatus } from '../../cluster/status'
import { openSlide } from '../../slides/registry'
import { CliUsageError, intOption, requireString, type CliCommand, type ParsedArgs } from '../command'
import type { SbatchOptions } from '../../cluster/work-folder'
import { workKind } from '../../cluster/train-work'
import { importTrainFolder, type TrainImportResult } from '../../cluster/import-train'
import { gridFromArgs, gridHelp, gridOptions, stringOption } from './cli-options'

const dirArg = (positionals: string[]): string => {
  const d = positionals[0]
  if (!d) throw new CliUsageError('missing <DIR> (the work folder)')
  return resolve(d)
}

const oneOf = <T extends string>(v: string | undefined, allowed: readonly T[], flag: string): T | undefined => {
  if (v === undefined) return undefined
  if (!allowed.includes(v as T)) throw new CliUsageError(`--${flag} must be ${allowed.join(' or ')}`)
  return v as T
}

export function importText(r: ClusterImportResult): string {
  const lines = [`work ${r.workId} (model ${r.model}): ${r.imported.length} slide(s) imported into the feature cache, ${r.alreadyCached.length} already cached`]
  for (const t of r.incompleteTasks) lines.push(`  task ${t.task} incomplete: ${t.reason}`)
  for (const f of r.failedSlides) lines.push(`  task ${f.task} failed on slide ${f.slide}: ${f.error}`)
  for (const s of r.notInDatabase) lines.push(`  slide ${s.slide}: no slide with content key ${s.contentKey.slice(0, 20)}… in this database (removed since the export?); not imported`)
  if (r.rerun) lines.push(`re-run the missing tasks with:\n  ${r.rerun}`)
  return lines.join('\n')
}

/** The sbatch options of both export commands (defaults are the export's own: a job array or the training job). */
export const sbatchOptions = {
  partition: { type: 'string' },
  account: { type: 'string' },
  gpus: { type: 'string' },
  cpus: { type: 'string' },
  time: { type: 'string' },
  mem: { type: 'string' },
  dependency: { type: 'string' },
  'tessera-cmd': { type: 'string' }
} as const

export const sbatchHelp = [
  '--partition P      sbatch --partition (default: the cluster default)',
  '--account A        sbatch --account',
  '--cpus N           sbatch --cpus-per-task',
  '--time T           sbatch --time',
  '--mem M            sbatch --mem',
  '--dependency D     sbatch --dependency (e.g. afterok:123)',
  '--tessera-cmd C    how nodes start Tessera (default: this install; $TESSERA_BIN overrides at run time)'
]

export function sbatchFromArgs(args: ParsedArgs): Partial<SbatchOptions> {
  const partition = stringOption(args, 'partition')
  const account = stringOption(args, 'account')
  const time = stringOption(args, 'time')
  const mem = stringOption(args, 'mem')
  if (time && !/^[0-9:-]+$/.test(time)) throw new CliUsageError('--time takes SLURM time like 04:00:00 or 1-00:00:00')
  if (mem && !/^[0-9]+[KMGT]?$/.test(mem)) throw new CliUsageError('--mem takes SLURM memory like 16G')
  const dependency = stringOption(args, 'dependency')
  if (dependency && !/^[A-Za-z0-9:_,?+-]+$/.test(dependency)) throw new CliUsageError('--dependency takes SLURM syntax like afterok:123')
  const cmd = stringOption(args, 'tessera-cmd')
  return {
    ...(partition ? { partition } : {}),
    ...(account ? { account } : {}),
    ...(args.values['gpus'] !== undefined ? { gpus: intOption(args, 'gpus', 0) } : {}),
    ...(args.values['cpus'] !== undefined ? { cpus: intOption(args, 'cpus', 1) } : {}),
    ...(time ? { time } : {}),
    ...(mem ? { mem } : {}),
    ...(dependency ? { dependency } : {}),
    ...(cmd ? { tesseraCommand: cmd } : {})
  }
}

function trainImportText(r: TrainImportResult): string {
  const e = r.evaluation
  return `work ${r.workId}: imported as run ${r.runId} (job ${r.jobId}), model ${r.outputModel}; ${r.lossPoints} loss points, ${r.checkpoints} checkpoints; held-out masked loss ${e.before.toFixed(4)} → ${e.after.toFixed(4)}`
}

export const clusterCommands: CliCommand[] = [
  {
    name: 'cluster export',
    summary: 'Write a self-contained SLURM work folder (slides, grids, model bundle, shard plan, submit.sbatch) for feature extraction',
    options: {
      project: { type: 'string' },
      model: { type: 'string' },
      to: { type: 'string' },
      shards: { type: 'string' },
      slides: { type: 'string' },
      dtype: { type: 'string' },
      batch: { type: 'string' },
      readers: { type: 'string' },
      provider: { type: 'string' },
      ...sbatchOptions,
      force: { type: 'boolean' },
      ...gridOptions
    },
    optionHelp: [
      '--project P        project name or id',
      '--model M          registered model (the teacher)',
      '--to DIR           work folder to create (on storage the cluster nodes see)',
      '--shards N         array tasks (default: slides, at most 8); balanced by patch count',
      '--slides 1,2,3     only these slide ids',
      '--dtype D          cache precision on import: float16 (default) or float32',
      '--batch N          patches per inference batch (default 32)',
      '--readers N        concurrent patch reads per task (default 4)',
      '--provider P       ONNX provider on the nodes: auto (default), cpu, cuda',
      '--gpus N           GPUs per task, sbatch --gres=gpu:N (default 0)',
      ...sbatchHelp,
      '                   (defaults: --cpus 4 --time 04:00:00 --mem 16G)',
      '--force            replace an existing folder',
      ...gridHelp
    ],
    async run(ctx, args) {
      const core = ctx.core()
      const slides = stringOption(args, 'slides')
      const ids = slides?.split(',').map(Number)
      if (ids?.some((x) => !Number.isInteger(x) || x <= 0)) throw new CliUsageError('--slides takes slide ids like 1,2,3')
      const result: ClusterExportResult = await exportWorkFolder(core.db, core.models, {
        projectId: core.projects.resolve(requireString(args, 'project')).id,
        model: requireString(args, 'model'),
        to: requireString(args, 'to'),
        ...(args.values['shards'] !== undefined ? { shards: intOption(args, 'shards', 1) } : {}),
        ...(ids ? { slideIds: ids } : {}),
        grid: gridFromArgs(args),
        ...(stringOption(args, 'dtype') ? { dtype: oneOf(stringOption(args, 'dtype'), ['float16', 'float32'] as const, 'dtype') } : {}),
        ...(args.values['batch'] !== undefined ? { batchSize: intOption(args, 'batch', 32) } : {}),
        ...(args.values['readers'] !== undefined ? { readers: intOption(args, 'readers', 4) } : {}),
        ...(stringOption(args, 'provider') ? { provider: oneOf(stringOption(args, 'provider'), ['auto', 'cpu', 'cuda'] as const, 'provider') } : {}),
        sbatch: sbatchFromArgs(args),
        force: args.values['force'] === true
      })
      for (const n of result.notes) ctx.log(n)
      return result
    },
    human: (r) => {
      const x = r as ClusterExportResult
      return `work folder ${x.dir}: ${x.slides} slide(s), ${x.patches} patches in ${x.shards.length} shard(s)\nsubmit with: ${x.submit}\nthen: tessera cluster status ${x.dir}; tessera cluster import ${x.dir}`
    }
  },
  {
    name: 'features extract-shard',
    summary: 'Run one shard of a cluster work folder on this node (no database): one TRIDENT HDF5 per slide + a shard manifest',
    usage: '<DIR>',
    options: { task: { type: 'string' }, threads: { type: 'string' }, provider: { type: 'string' }, 'path-map': { type: 'string' } },
    optionHelp: [
      '--task T          array task (default: $SLURM_ARRAY_TASK_ID)',
      '--threads N       ONNX intra-op threads (default: all cores)',
      '--provider P      override the work\'s ONNX provider: auto, cpu, cuda',
      '--path-map A=B    slide paths starting with A are read under B on this node'
    ],
    async run(ctx, args) {
      const dir = dirArg(args.positionals)
      const taskText = stringOption(args, 'task') ?? process.env['SLURM_ARRAY_TASK_ID']
      const task = Number(taskText)
      if (taskText === undefined || !Number.isInteger(task) || task < 0) throw new CliUsageError('give --task N (or run inside a SLURM array task)')
      const map = stringOption(args, 'path-map')
      if (map && !map.includes('=')) throw new CliUsageError('--path-map takes FROM=TO')
      const provider = oneOf(stringOption(args, 'provider'), ['auto', 'cpu', 'cuda'] as const, 'provider')
      const { openModelEncoder } = await import('../../workers/encoders')
      // scancel, the time limit and node shutdowns send SIGTERM first: stop at the next batch, leave no temp file
      const controller = new AbortController()
      const stop = (): void => controller.abort()
      process.once('SIGTERM', stop)
      process.once('SIGINT', stop)
      try {
        const r: ExtractShardResult = await extractShard({
          dir,
          task,
          openEncoder: openModelEncoder,
          ...(args.values['threads'] !== undefined ? { threads: intOption(args, 'threads', 1) } : {}),
          ...(provider ? { provider } : {}),
          ...(map ? { pathMap: { from: map.slice(0, map.indexOf('=')), to: map.slice(map.indexOf('=') + 1) } } : {}),
          signal: controller.signal,
          log: ctx.log
        })
        if (r.status !== 'complete') throw new Error(`task ${task}: ${r.failed.length} slide(s) failed: ${r.failed.map((f) => `${f.slide}: ${f.error}`).join('; ')}`)
        return r
      } finally {
        process.off('SIGTERM', stop)
        process.off('SIGINT', stop)
      }
    },
    human: (r) => {
      const x = r as ExtractShardResult
      return `task ${x.task}: ${x.computed} slide(s) computed, ${x.skipped} kept from an earlier run; ${x.patchesEncoded} patches in ${x.seconds.toFixed(1)} s on ${x.backend ?? '(no encoder needed)'}`
    }
  },
  {
    name: 'cluster import',
    summary: 'Verify a work folder and merge it: shards into the feature cache, or a fine-tuning run into the project, as if run here',
    usage: '<DIR>',
    options: { 'partial-ok': { type: 'boolean' } },
    optionHelp: ['--partial-ok      exit 0 even when tasks are missing (their finished slides are imported either way)'],
    async run(ctx, args) {
      const core = ctx.core()
      const dir = dirArg(args.positionals)
      if (workKind(dir) === 'train') return importTrainFolder(core, openSlide, dir, ctx.log)
      const r = await importWorkFolder(core.db, openSlide, dir, ctx.log)
      if (!r.complete && args.values['partial-ok'] !== true) throw new Error(`incomplete work folder\n${importText(r)}`)
      return r
    },
    human: (r) => ('runId' in (r as object) ? trainImportText(r as TrainImportResult) : importText(r as ClusterImportResult))
  },
  {
    name: 'cluster status',
    summary: 'Progress of a work folder from its shard manifests or its fine-tuning job state (and squeue/sacct when present)',
    usage: '<DIR>',
    options: { verify: { type: 'boolean' } },
    optionHelp: ['--verify          also check every finished file against its hash; exit 1 unless complete'],
    async run(_ctx, args) {
      const dir = dirArg(args.positionals)
      if (workKind(dir) === 'train') return trainStatus(dir)
      const s = await workStatus(dir, { verify: args.values['verify'] === true })
      if (args.values['verify'] === true && !s.complete) throw new Error(`work folder not complete or damaged\n${statusText(s)}`)
      return s
    },
    human: (r) => ('lossPoints' in (r as object) ? trainStatusText(r as TrainWorkStatus) : statusText(r as ClusterStatus))
  }
]
