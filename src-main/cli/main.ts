// The command-line door: `tessera <command> [options]`. Progress on stderr, JSON results on stdout,
// exit code 0 on success, 1 on failure, 2 on wrong usage.
import { parseArgs } from 'node:util'
import { createCore, type Core } from '../core/core'
import { defaultDbPath } from '../core/data-dir'
import { VERSION } from '../core/version'
import { commands } from './commands/index'
import { CliUsageError, type CliCommand, type CliContext } from './command'
import { Progress } from './progress'

const GLOBAL_HELP = ['--db <file>   database file (default: the per-user data directory)', '--json        print the result as JSON', '--help        show help']

function findCommand(argv: string[]): { command: CliCommand; rest: string[] } | null {
  let best: { command: CliCommand; rest: string[] } | null = null
  for (const command of commands) {
    const words = command.name.split(' ')
    if (words.every((w, i) => argv[i] === w) && (!best || words.length > best.command.name.split(' ').length)) {
      best = { command, rest: argv.slice(words.length) }
    }
  }
  return best
}

function usage(): string {
  const width = Math.max(...commands.map((c) => c.name.length + (c.usage ? c.usage.length + 1 : 0)))
  const lines = commands.map((c) => `  ${(c.name + (c.usage ? ' ' + c.usage : '')).padEnd(width)}  ${c.summary}`)
  return `Tessera ${VERSION} — fine-tune MIL patch feature extractors with MCM+KD\n\nUsage: tessera <command> [options]\n\nCommands:\n${lines.join('\n')}\n\nGlobal options:\n  ${GLOBAL_HELP.join('\n  ')}\n`
}

function commandHelp(c: CliCommand): string {
  const opts = [...(c.optionHelp ?? []), ...GLOBAL_HELP].map((l) => `  ${l}`).join('\n')
  return `Usage: tessera ${c.name}${c.usage ? ' ' + c.usage : ''} [options]\n\n${c.summary}\n\nOptions:\n${opts}\n`
}

export async function main(argv: string[]): Promise<number> {
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
    process.stdout.write(usage())
    return argv.length === 0 ? 2 : 0
  }
  if (argv[0] === '--version') {
    process.stdout.write(`${VERSION}\n`)
    return 0
  }
  // global options may come first: tessera --db x.db project list
  const globals: string[] = []
  while (argv[0]?.startsWith('--') && !findCommand(argv)) {
    const flag = argv.shift() as string
    globals.push(flag)
    if (flag === '--db' && argv.length) globals.push(argv.shift() as string)
  }
  // `tessera --db x.db --help` (or no command after the globals): the usage, not `unknown command ""`
  if (globals.includes('--help') || argv[0] === '-h' || argv[0] === 'help' || argv.length === 0) {
    process.stdout.write(usage())
    return argv.length === 0 && !globals.includes('--help') ? 2 : 0
  }
  const found = findCommand(argv)
  if (!found) {
    process.stderr.write(`tessera: unknown command "${argv.join(' ')}"\n\n${usage()}`)
    return 2
  }
  const { command, rest } = found
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(commandHelp(command))
    return 0
  }
  let core: Core | null = null
  try {
    const parsed = parseArgs({
      args: [...globals, ...rest],
      options: { ...command.options, db: { type: 'string' }, json: { type: 'boolean' } },
      allowPositionals: true,
      strict: true
    })
    const json = parsed.values.json === true
    const dbPath = typeof parsed.values.db === 'string' ? parsed.values.db : defaultDbPath()
    const ctx: CliContext = {
      dbPath,
      json,
      core: () => (core ??= createCore({ dbPath, door: 'cli' })),
      progress: new Progress(process.stderr),
      log: (line) => process.stderr.write(`${line}\n`)
    }
    const result = await command.run(ctx, { values: parsed.values, positionals: parsed.positionals })
    if (!command.keepsRunning) {
      const text = !json && command.human ? command.human(result) : JSON.stringify(result, null, 2)
      process.stdout.write(`${text}\n`)
    }
    return 0
  } catch (e) {
    const usageError = e instanceof CliUsageError || (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')
    process.stderr.write(`tessera ${command.name}: ${(e as Error).message}\n`)
    if (usageError) process.stderr.write(`\n${commandHelp(command)}`)
    return usageError ? 2 : 1
  } finally {
    ;(core as Core | null)?.close()
  }
}
