// CLI: cluster export-train, train-job — one MCM+KD fine-tuning run as a one-task SLURM job over a self-contained work
// folder (imported back with `cluster import`; the database never leaves this machine).
import { resolve } from 'node:path'
import { exportTrainFolder, type TrainExportResult } from '../../cluster/export-train'
import { McmConfig } from '../../../src-shared/contracts/train'
import { CliUsageError, requireString, type CliCommand } from '../command'
import { stringOption } from './cli-options'
import { sbatchFromArgs, sbatchHelp, sbatchOptions } from './cluster'
import { readConfig } from './train'
import type { TrainJobResult } from '../../workers/train-job'

export const clusterTrainCommands: CliCommand[] = [
  {
    name: 'cluster export-train',
    summary: 'Write a self-contained work folder for one MCM+KD run on a cluster GPU node (slides, grids, teacher features, student, config, submit.sbatch)',
    options: { project: { type: 'string' }, student: { type: 'string' }, teacher: { type: 'string' }, config: { type: 'string' }, backend: { type: 'string' }, to: { type: 'string' }, force: { type: 'boolean' }, ...sbatchOptions },
    optionHelp: [
      '--project P        project name or id',
      '--student M        student model (built-in: tiny-cnn[-DIM], or a registered zoo model)',
      '--teacher T        teacher whose cached features are the targets (extract them first)',
      '--config FILE      run config JSON, as for tessera train',
      '--backend B        override the config\'s backend (default auto: the node picks, GPU first)',
      '--to DIR           work folder to create (on storage the cluster nodes see)',
      '--gpus N           sbatch --gres=gpu:N (default 1; 0 for a CPU-only node)',
      ...sbatchHelp,
      '                   (defaults: --cpus 8 --time 24:00:00 --mem 32G)',
      '--force            replace an untouched earlier export'
    ],
    async run(ctx, args) {
      const core = ctx.core()
      const project = core.projects.resolve(requireString(args, 'project'))
      const configPath = stringOption(args, 'config')
      let config: unknown = configPath ? readConfig(configPath) : {}
      const backend = stringOption(args, 'backend')
      if (backend) {
        const choices: readonly string[] = McmConfig.shape.backend.unwrap().options
        if (!choices.includes(backend)) throw new CliUsageError(`--backend must be one of ${choices.join(', ')}, got "${backend}"`)
        if (config !== null && typeof config === 'object' && !Array.isArray(config)) config = { ...config, backend }
      }
      const r = await exportTrainFolder(core.db, core.models, project.name, {
        projectId: project.id,
        student: requireString(args, 'student'),
        teacher: requireString(args, 'teacher'),
        config,
        to: requireString(args, 'to'),
        sbatch: sbatchFromArgs(args),
        force: args.values['force'] === true
      })
      for (const n of r.notes) ctx.log(n)
      return r
    },
    human: (r) => {
      const x = r as TrainExportResult
      return `work folder ${x.dir}: ${x.slides} slides (${x.patches} patches; held out: ${x.heldOutSlides.join(', ')}), ${(x.teacherBytes / 2 ** 20).toFixed(1)} MiB of teacher features\nsubmit with: ${x.submit}\nthen: tessera cluster import ${x.dir}`
    }
  },
  {
    name: 'train-job',
    summary: 'Run the MCM+KD run of a fine-tuning work folder on this node (no database); a re-run resumes from the last checkpoint',
    usage: '<DIR>',
    options: { 'path-map': { type: 'string' } },
    optionHelp: ['--path-map A=B    slide paths starting with A are read under B on this node'],
    async run(ctx, args) {
      const d = args.positionals[0]
      if (!d) throw new CliUsageError('missing <DIR> (the work folder)')
      const map = stringOption(args, 'path-map')
      if (map && !map.includes('=')) throw new CliUsageError('--path-map takes FROM=TO')
      const { runTrainJob } = await import('../../workers/train-job')
      // scancel, the time limit and node shutdowns send SIGTERM first: stop at the next step, state says cancelled
      const controller = new AbortController()
      const stop = (): void => controller.abort()
      process.once('SIGTERM', stop)
      process.once('SIGINT', stop)
      try {
        return await runTrainJob({
          dir: resolve(d),
          ...(map ? { pathMap: { from: map.slice(0, map.indexOf('=')), to: map.slice(map.indexOf('=') + 1) } } : {}),
          signal: controller.signal,
          log: ctx.log
        })
      } finally {
        process.off('SIGTERM', stop)
        process.off('SIGINT', stop)
      }
    },
    human: (r) => {
      const x = r as TrainJobResult
      const e = x.evaluation
      return `work ${x.workId}: ${x.alreadyDone ? 'already finished' : `finished in ${x.seconds.toFixed(1)} s`} (start ${x.starts}); steps ${Object.entries(x.steps).map(([k, v]) => `${k} ${v}`).join(', ')}${e ? `; held-out masked loss ${e.before.toFixed(4)} → ${e.after.toFixed(4)}` : ''}`
    }
  }
]
