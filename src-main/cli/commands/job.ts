// CLI: job list | show | cancel | resume | demo (a diagnostic job that exercises the job machinery).
import type { Job } from '../../../src-shared/domain/types'
import { CliUsageError, intOption, type CliCommand, type CliContext } from '../command'

function jobId(positionals: string[]): number {
  const id = Number(positionals[0])
  if (!Number.isInteger(id) || id <= 0) throw new CliUsageError('missing or invalid <job id>')
  return id
}

/** Follow a job to its end with progress on stderr; fail (non-zero exit) unless it succeeded. */
export async function followJob(ctx: CliContext, job: Job): Promise<Job> {
  const core = ctx.core()
  const off = core.bus.on((e) => {
    if (e.jobId === job.id) ctx.progress.onEvent(e)
  })
  const onSigint = (): void => {
    ctx.log(`\ncancelling job ${job.id}…`)
    core.jobs.cancel(job.id)
  }
  process.once('SIGINT', onSigint)
  try {
    const done = await core.jobs.wait(job.id)
    if (done.status !== 'succeeded') throw new Error(`job ${done.id} (${done.kind}) ${done.status}: ${done.error ?? 'no detail'}`)
    return done
  } finally {
    off()
    process.off('SIGINT', onSigint)
  }
}

export const jobCommands: CliCommand[] = [
  {
    name: 'job list',
    summary: 'List jobs',
    async run(ctx) {
      return ctx.core().dispatch('job.list', {})
    },
    human: (r) =>
      (r as Job[]).map((j) => `${String(j.id).padStart(4)}  ${j.kind.padEnd(22)} ${j.status.padEnd(11)} ${(j.progress * 100).toFixed(0)}%`).join('\n') ||
      'no jobs'
  },
  {
    name: 'job show',
    summary: 'Show one job (params, status, result)',
    usage: '<job id>',
    async run(ctx, { positionals }) {
      return ctx.core().dispatch('job.get', { id: jobId(positionals) })
    }
  },
  {
    name: 'job cancel',
    summary: 'Cancel a job',
    usage: '<job id>',
    async run(ctx, { positionals }) {
      return ctx.core().dispatch('job.cancel', { id: jobId(positionals) })
    }
  },
  {
    name: 'job resume',
    summary: 'Resume an interrupted job and follow it to the end',
    usage: '<job id>',
    async run(ctx, { positionals }) {
      const job = (await ctx.core().dispatch('job.resume', { id: jobId(positionals) })) as Job
      return followJob(ctx, job)
    }
  },
  {
    name: 'job demo',
    summary: 'Run the diagnostic counting job (checks workers, progress, cancel and resume)',
    options: { steps: { type: 'string' }, 'step-ms': { type: 'string' } },
    optionHelp: ['--steps N     steps to count (default 50)', '--step-ms MS  pause per step (default 20)'],
    async run(ctx, args) {
      const job = (await ctx.core().dispatch('job.startDemo', {
        steps: intOption(args, 'steps', 50),
        stepMs: intOption(args, 'step-ms', 20)
      })) as Job
      return followJob(ctx, job)
    }
  }
]
