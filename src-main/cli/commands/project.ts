// CLI: project create | list | rename | delete.
import type { Project } from '../../../src-shared/domain/types'
import { CliUsageError, type CliCommand } from '../command'

const table = (rows: Project[]): string =>
  rows.length === 0 ? 'no projects' : rows.map((p) => `${String(p.id).padStart(4)}  ${p.name}  (${p.slideCount} slides)`).join('\n')

export const projectCommands: CliCommand[] = [
  {
    name: 'project create',
    summary: 'Create a project',
    usage: '<name>',
    async run(ctx, { positionals }) {
      const name = positionals[0]
      if (!name) throw new CliUsageError('missing <name>')
      return ctx.core().dispatch('project.create', { name })
    }
  },
  {
    name: 'project list',
    summary: 'List projects',
    async run(ctx) {
      return ctx.core().dispatch('project.list', {})
    },
    human: (r) => table(r as Project[])
  },
  {
    name: 'project rename',
    summary: 'Rename a project',
    usage: '<project> <new name>',
    async run(ctx, { positionals }) {
      const [ref, name] = positionals
      if (!ref || !name) throw new CliUsageError('usage: project rename <project> <new name>')
      const core = ctx.core()
      return core.dispatch('project.rename', { id: core.projects.resolve(ref).id, name })
    }
  },
  {
    name: 'project delete',
    summary: 'Delete a project and all its slides, jobs and features (needs --yes)',
    usage: '<project>',
    options: { yes: { type: 'boolean' } },
    optionHelp: ['--yes   confirm the deletion'],
    async run(ctx, { positionals, values }) {
      const ref = positionals[0]
      if (!ref) throw new CliUsageError('missing <project>')
      if (values['yes'] !== true) throw new CliUsageError('deleting a project removes its slides, runs and features: add --yes')
      const core = ctx.core()
      return core.dispatch('project.delete', { id: core.projects.resolve(ref).id, confirm: true })
    }
  }
]
