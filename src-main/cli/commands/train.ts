// CLI: train (start or resume an MCM+KD run and follow it) | run show | run list.
import { readFileSync } from 'node:fs'
import type { Job } from '../../../src-shared/domain/types'
import { McmConfig, type McmRun, type McmRunDetail } from '../../../src-shared/contracts/train'
import { CliUsageError, intOption, requireString, type CliCommand } from '../command'
import { followJob } from './job'

export function readConfig(path: string): unknown {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (e) {
    throw new CliUsageError(`cannot read --config ${path}: ${(e as Error).message}`)
  }
  try {
    return JSON.parse(text)
  } catch (e) {
    throw new CliUsageError(`--config ${path} is not valid JSON: ${(e as Error).message}`)
  }
}

function runId(positionals: string[]): number {
  const id = Number(positionals[0])
  if (!Number.isInteger(id) || id <= 0) throw new CliUsageError('missing or invalid <run id>')
  return id
}

export const trainCommands: CliCommand[] = [
  {
    name: 'train',
    summary: 'Fine-tune a student with MCM+KD (one epoch by default); prints the run id and output model as JSON',
    options: { project: { type: 'string' }, student: { type: 'string' }, teacher: { type: 'string' }, config: { type: 'string' }, resume: { type: 'string' }, backend: { type: 'string' } },
    optionHelp: [
      '--project P     project name or id',
      '--student M     student model (built-in: tiny-cnn[-DIM])',
      '--teacher T     teacher whose cached features are the targets',
      '--config FILE   run config JSON (see src-shared/contracts/train.ts; defaults otherwise)',
      '--resume RUN    resume run RUN from its last checkpoint instead of starting one',
      '--backend B     auto (default: the machine\'s selection, see tessera backend) | tensorflow | webgpu | wasm | cpu;',
      '                overrides the config\'s backend'
    ],
    async run(ctx, args) {
      const core = ctx.core()
      let started: { run: McmRun; job: Job }
      const resume = args.values['resume']
      if (typeof resume === 'string') {
        const id = Number(resume)
        if (!Number.isInteger(id) || id <= 0) throw new CliUsageError(`--resume must be a run id, got "${resume}"`)
        started = (await core.dispatch('train.resume', { id })) as { run: McmRun; job: Job }
      } else {
        const project = core.projects.resolve(requireString(args, 'project'))
        const configPath = args.values['config']
        let config: unknown = typeof configPath === 'string' ? readConfig(configPath) : {}
        const backend = args.values['backend']
        if (typeof backend === 'string') {
          const choices: readonly string[] = McmConfig.shape.backend.unwrap().options
          if (!choices.includes(backend)) throw new CliUsageError(`--backend must be one of ${choices.join(', ')}, got "${backend}"`)
          // a config that is not an object is left as it is: train.start refuses it with the schema's message
          if (config !== null && typeof config === 'object' && !Array.isArray(config)) config = { ...config, backend }
        }
        started = (await core.dispatch('train.start', {
          projectId: project.id,
          student: requireString(args, 'student'),
          teacher: requireString(args, 'teacher'),
          config
        })) as { run: McmRun; job: Job }
      }
      ctx.log(`run ${started.run.id} (job ${started.job.id}) started`)
      const job = await followJob(ctx, started.job)
      const detail = (await core.dispatch('run.get', { id: started.run.id })) as McmRunDetail
      return { runId: detail.id, jobId: job.id, outputModel: detail.outputModel, evaluation: detail.evaluation }
    }
  },
  {
    name: 'run show',
    summary: 'Show one fine-tuning run: config, status, loss curve, checkpoints, evaluation',
    usage: '<run id>',
    async run(ctx, { positionals }) {
      return ctx.core().dispatch('run.get', { id: runId(positionals) })
    }
  },
  {
    name: 'run inspect',
    summary: 'Inspection data of a run; with --slide/--col/--row, inspect that window now (mask, cosine before/after)',
    usage: '<run id>',
    options: { slide: { type: 'string' }, col: { type: 'string' }, row: { type: 'string' } },
    optionHelp: ['--slide NAME   slide of the window', '--col C --row R  top-left grid cell of the s×s window'],
    async run(ctx, args) {
      const id = runId(args.positionals)
      const slide = args.values['slide']
      if (typeof slide !== 'string') return ctx.core().dispatch('run.inspection', { id })
      const job = (await ctx.core().dispatch('run.inspectWindow', { id, slide, col: intOption(args, 'col', -1), row: intOption(args, 'row', -1) })) as Job
      const done = await followJob(ctx, job)
      return done.result?.['window']
    }
  },
  {
    name: 'run list',
    summary: 'List fine-tuning runs',
    async run(ctx) {
      return ctx.core().dispatch('run.list', {})
    },
    human: (r) =>
      (r as McmRun[]).map((x) => `${String(x.id).padStart(4)}  ${x.student} ← ${x.teacher}  ${x.status}  ${x.outputModel ?? ''}`).join('\n') || 'no runs'
  }
]
