// `--force` replaces only a folder its export manifest proves to be an earlier Tessera export (or an empty one);
// a folder of the user's, a file, a link, or an export with a foreign file added is refused and left untouched.
import { existsSync, mkdirSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { createCore, type Core } from '../../../src-main/core/core'
import { ExportStaging } from '../../../src-main/eval/export-dir'
import { tempDir } from '../../helpers/tmp'

const onnxFile = join(__dirname, '..', '..', 'fixtures', 'models', 'tiny-encoder.onnx')
let core: Core | null = null
afterEach(() => {
  core?.close()
  core = null
})

/** A folder that is not an export: the user's work. */
function userFolder(dir: string, name: string): string {
  const f = join(dir, name)
  mkdirSync(join(f, 'sub'), { recursive: true })
  writeFileSync(join(f, 'thesis.docx'), 'years of work')
  writeFileSync(join(f, 'sub', 'data.csv'), 'a,b\n')
  return f
}

function stage(out: string, force: boolean, content = 'x'): void {
  const s = new ExportStaging(out, { force, generator: 'tessera eval' })
  try {
    s.write('report.json', content)
    s.write('folds/0.json', content)
    s.commit()
  } catch (e) {
    s.abort()
    throw e
  }
}

describe('export --force', () => {
  it('model.export replaces an earlier bundle, refuses anything else and leaves it intact', async () => {
    const dir = tempDir('replace-model-')
    core = createCore({ dbPath: join(dir, 'db', 't.db'), door: 'cli' })
    await core.dispatch('model.import', { file: onnxFile, name: 'tiny', arch: 'onnx', mpp: 0.5 })
    const exp = (out: string): Promise<unknown> => core!.dispatch('model.export', { model: 'tiny', format: 'onnx', out, force: true })

    const mine = userFolder(dir, 'home')
    await expect(exp(mine)).rejects.toThrow(/home: refusing to replace it, even with --force: it is not a previous Tessera export \(no readable SHA256SUMS\)/)
    expect(readFileSync(join(mine, 'thesis.docx'), 'utf8')).toBe('years of work')
    expect(existsSync(join(mine, 'sub', 'data.csv'))).toBe(true)

    const bundle = join(dir, 'bundle')
    await exp(bundle)
    await exp(bundle) // an earlier export of ours: replaced
    expect(readdirSync(bundle).sort()).toEqual(['SHA256SUMS', 'manifest.json', 'tiny.onnx'])
    writeFileSync(join(bundle, 'notes.txt'), 'mine')
    await expect(exp(bundle)).rejects.toThrow(/1 file\(s\) its export manifest does not list \(e\.g\. notes\.txt\)/)
    expect(readFileSync(join(bundle, 'notes.txt'), 'utf8')).toBe('mine')

    const file = join(dir, 'a-file')
    writeFileSync(file, 'keep')
    await expect(exp(file)).rejects.toThrow(/it is a file, not a folder/)
    const link = join(dir, 'link')
    symlinkSync(mine, link)
    await expect(exp(link)).rejects.toThrow(/it is a symbolic link/)
    const empty = join(dir, 'empty')
    mkdirSync(empty)
    await exp(empty)
    expect(readdirSync(empty)).toContain('manifest.json')
    expect(readdirSync(dir).filter((n) => n.includes('.tmp-') || n.includes('.old-'))).toEqual([])
  })

  it('evaluation exports replace only an earlier evaluation export', async () => {
    const dir = tempDir('replace-eval-')
    const mine = userFolder(dir, 'results')
    expect(() => stage(mine, true)).toThrow(/results: refusing to replace it, even with --force: it is not a previous Tessera export \(no readable manifest\.json\)/)
    expect(readFileSync(join(mine, 'thesis.docx'), 'utf8')).toBe('years of work')
    // a manifest.json of someone else's does not count either
    writeFileSync(join(mine, 'manifest.json'), '{"name":"my-package"}')
    expect(() => stage(mine, true)).toThrow(/not a Tessera export manifest/)

    const out = join(dir, 'eval')
    stage(out, false, 'first')
    stage(out, true, 'second')
    expect(readFileSync(join(out, 'report.json'), 'utf8')).toBe('second')
    symlinkSync('/etc', join(out, 'folds', 'etc'))
    expect(() => stage(out, true)).toThrow(/holds folds\/etc, which is not a regular file \(a symbolic link\)/)
    expect(readdirSync(dir).filter((n) => n.includes('.tmp-'))).toEqual([])
  })

  it('eval.start refuses a foreign folder before starting a job', async () => {
    const dir = tempDir('replace-start-')
    core = createCore({ dbPath: join(dir, 't.db'), door: 'cli' })
    const projectId = core.projects.create('p').id
    const mine = userFolder(dir, 'work')
    await expect(core.dispatch('eval.start', { projectId, models: ['enc'], out: mine, force: true })).rejects.toThrow(/work: refusing to replace it, even with --force/)
  })
})
