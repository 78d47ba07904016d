// Shape of one CLI command; commands are plain objects registered in commands/index.ts.
import type { ParseArgsConfig } from 'node:util'
import type { Core } from '../core/core'
import type { Progress } from './progress'

export interface CliContext {
  dbPath: string
  json: boolean
  /** Opens the core on first use (commands that need no store never open it). */
  core(): Core
  progress: Progress
  /** Write a human line to stderr (never stdout: stdout carries the JSON result). */
  log(line: string): void
}

export interface ParsedArgs {
  values: Record<string, string | boolean | string[] | boolean[] | undefined>
  positionals: string[]
}

export interface CliCommand {
  /** words, e.g. "project create" */
  name: string
  summary: string
  /** positional part of the usage line, e.g. "<name>" */
  usage?: string
  options?: NonNullable<ParseArgsConfig['options']>
  /** one line per option for --help */
  optionHelp?: string[]
  run(ctx: CliContext, args: ParsedArgs): Promise<unknown>
  /** human rendering of the result when --json is not given */
  human?(result: unknown): string
  /** long-running commands (serve) resolve only when stopped */
  keepsRunning?: boolean
}

export class CliUsageError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'CliUsageError'
  }
}

export function requireString(args: ParsedArgs, key: string): string {
  const v = args.values[key]
  if (typeof v !== 'string' || v.length === 0) throw new CliUsageError(`missing --${key}`)
  return v
}

export function intOption(args: ParsedArgs, key: string, fallback: number): number {
  const v = args.values[key]
  if (v === undefined) return fallback
  const n = Number(v)
  if (typeof v !== 'string' || !Number.isInteger(n)) throw new CliUsageError(`--${key} must be an integer, got "${String(v)}"`)
  return n
}
