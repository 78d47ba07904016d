// Named pipes given as input files (issue 17 item 14): every path-taking command checks "regular file" before it
// opens anything, so a FIFO is refused at once with a message saying what it is, instead of hanging the process.
// The commands whose old code opened synchronously (model import, features import) run as CLI processes with a
// timeout, so a regression fails the test instead of freezing the test runner.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { execFileSync, spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { createCore, type Core } from '../../../src-main/core/core'
import type { AddSlidesResult } from '../../../src-shared/contracts/slides'
import type { Project } from '../../../src-shared/domain/types'
import { tempDir } from '../../helpers/tmp'

const dir = tempDir('fifo-')
const dbPath = join(dir, 't.db')
let core: Core
let project: Project
const fifo = (name: string): string => {
  const p = join(dir, name)
  execFileSync('mkfifo', [p])
  return p
}
/** A hang shows as this rejection instead of a frozen test. */
const within = <T>(p: Promise<T>, ms = 10_000): Promise<T> => Promise.race([p, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`no answer within ${ms} ms (hung on the FIFO)`)), ms))])

beforeAll(async () => {
  core = createCore({ dbPath, door: 'cli' })
  project = (await core.dispatch('project.create', { name: 'P' })) as Project
})
afterAll(() => core?.close())

describe('FIFOs as input files', () => {
  it('slide info and slide add refuse a FIFO at once', async () => {
    const slide = fifo('slide.svs')
    await expect(within(core.dispatch('slide.info', { path: slide }))).rejects.toThrow(/slide\.svs: slide file must be a regular file, this is a named pipe \(FIFO\)/)
    const added = (await within(core.dispatch('slide.add', { projectId: project.id, paths: [slide] }))) as AddSlidesResult
    expect(added.added).toEqual([])
    expect(JSON.stringify(added.failed)).toMatch(/named pipe \(FIFO\)/)
  })

  it('labels import refuses a FIFO at once', async () => {
    const csv = fifo('labels.csv')
    await expect(within(core.dispatch('labels.import', { projectId: project.id, csvPath: csv }))).rejects.toThrow(/labels\.csv: .*named pipe \(FIFO\)/)
  })

  it('model import and features import refuse a FIFO at once (CLI, with a timeout)', () => {
    const run = (...args: string[]): { code: number | null; signal: string | null; stderr: string } => {
      const r = spawnSync(process.execPath, ['bin/tessera.mjs', '--db', dbPath, ...args], { encoding: 'utf8', timeout: 45_000 })
      return { code: r.status, signal: r.signal, stderr: r.stderr }
    }
    const weights = fifo('w.safetensors')
    const m = run('model', 'import', weights, '--name', 'w', '--arch', 'resnet18')
    expect(m.signal, 'model import hung on the FIFO').toBeNull()
    expect(m.code).toBe(1)
    expect(m.stderr).toMatch(/w\.safetensors: model weights must be a regular file, this is a named pipe \(FIFO\)/)
    const h5 = fifo('f.h5')
    const f = run('features', 'import', h5, '--project', 'P')
    expect(f.signal, 'features import hung on the FIFO').toBeNull()
    expect(f.code).toBe(1)
    expect(f.stderr).toMatch(/f\.h5: feature file must be a regular file, this is a named pipe \(FIFO\)/)
  })
})
