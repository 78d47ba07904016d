// Every `tessera …` command the README and docs show in code exists in the CLI (the README once said `tessera train
// start`; the command is `tessera train`).
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { commands } from '../../../src-main/cli/commands/index'

const root = join(__dirname, '..', '..', '..')
const byName = new Map(commands.map((c) => [c.name, c]))
const WORD = /^[a-z][a-z0-9-]*(\|[a-z][a-z0-9-]*)*$/

/** Problems with one command line as written after `tessera` ('' when it names a real command). */
function checkCommand(words: string[]): string {
  if (words.length === 0) return ''
  for (let i = words.length; i >= 1; i--) {
    const cmd = byName.get(words.slice(0, i).join(' '))
    if (!cmd) continue
    const rest = words.slice(i)
    return rest.length > 0 && !cmd.usage ? `"tessera ${cmd.name}" takes no "${rest.join(' ')}"` : ''
  }
  const group = words.length === 1 && commands.some((c) => c.name.startsWith(`${words[0]} `))
  return group ? '' : `no command "tessera ${words.join(' ')}"`
}

function commandsIn(text: string): string[][] {
  const code = [...text.matchAll(/```[\s\S]*?```|`[^`\n]+`/g)].map((m) => m[0])
  const out: string[][] = []
  for (const c of code) {
    for (const m of c.matchAll(/\btessera((?: +[^\s`]+)*)/g)) {
      const tokens = (m[1] ?? '').trim().split(/ +/)
      const words: string[] = []
      for (const t of tokens) {
        if (!WORD.test(t)) break
        words.push(t)
      }
      // `slide info|region|tile`: each alternative is a command
      const [first, second, ...rest] = words
      if (first && second?.includes('|')) for (const alt of second.split('|')) out.push([first, alt, ...rest])
      else out.push(words)
    }
  }
  return out
}

describe('README and docs name real CLI commands', () => {
  it('the checker itself refuses a made-up subcommand and accepts the real ones', () => {
    expect(checkCommand(['train', 'start'])).toMatch(/takes no "start"/)
    expect(checkCommand(['train'])).toBe('')
    expect(checkCommand(['model'])).toBe('')
    expect(checkCommand(['nope'])).toMatch(/no command/)
  })

  it('every `tessera …` in README.md and docs/*.md exists', () => {
    const files = ['README.md', ...readdirSync(join(root, 'docs')).filter((f) => f.endsWith('.md')).map((f) => join('docs', f))]
    const problems: string[] = []
    for (const f of files) {
      for (const words of commandsIn(readFileSync(join(root, f), 'utf8'))) {
        const p = checkCommand(words)
        if (p) problems.push(`${f}: ${p}`)
      }
    }
    expect(problems).toEqual([])
  })
})
