// Lint enforces the import directions: the renderer never imports src-main; core code never imports electron;
// tfjs (ml/) is reached only from workers, bench and tests.
import { describe, expect, it } from 'vitest'
import { ESLint } from 'eslint'

const eslint = new ESLint({ cwd: process.cwd() })

async function ruleIds(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath })
  return (result?.messages ?? []).map((m) => `${m.ruleId}: ${m.message}`)
}

describe('import directions', () => {
  it('a renderer file importing from src-main fails lint', async () => {
    const msgs = await ruleIds('src-renderer/views/Bad.ts', "import { createCore } from '../../src-main/core/core'\nexport const x = createCore\n")
    expect(msgs.join('\n')).toMatch(/no-restricted-imports.*renderer imports only src-shared/)
  })

  it('a core file importing electron fails lint', async () => {
    const msgs = await ruleIds('src-main/store/bad.ts', "import { app } from 'electron'\nexport const x = app\n")
    expect(msgs.join('\n')).toMatch(/no-restricted-imports.*only src-main\/app\/ may import electron/)
  })

  it('a service importing ml/ fails lint, a worker may', async () => {
    const bad = await ruleIds('src-main/slides/bad.ts', "import { x } from '../ml/backend'\nexport const y = x\n")
    expect(bad.join('\n')).toMatch(/ml\/ \(TensorFlow\.js\) is imported only by job workers/)
    const ok = await ruleIds('src-main/workers/ok.ts', "import { x } from '../ml/backend'\nexport const y = x\n")
    expect(ok.filter((m) => m.startsWith('no-restricted-imports'))).toEqual([])
  })

  it('the Electron shell may import electron', async () => {
    const msgs = await ruleIds('src-main/app/ok.ts', "import { app } from 'electron'\nexport const x = app\n")
    expect(msgs.filter((m) => m.startsWith('no-restricted-imports'))).toEqual([])
  })

  it('src-shared may not use Node built-ins', async () => {
    const msgs = await ruleIds('src-shared/domain/bad.ts', "import { readFileSync } from 'node:fs'\nexport const x = readFileSync\n")
    expect(msgs.join('\n')).toMatch(/no Node built-ins/)
  })
})
