// The CLI door: help, exit codes, JSON on stdout, errors on stderr.
import { describe, expect, it } from 'vitest'
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { tempDir } from '../../helpers/tmp'

function tessera(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['bin/tessera.mjs', ...args], { encoding: 'utf8' })
  return { code: r.status, stdout: r.stdout, stderr: r.stderr }
}

describe('tessera CLI', () => {
  const db = join(tempDir('cli-'), 'cli.db')

  it('prints help listing the commands', () => {
    const r = tessera('--help')
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/project create <name>/)
    expect(r.stdout).toMatch(/serve/)
  })

  it('creates and lists projects as JSON', () => {
    const created = tessera('--db', db, 'project', 'create', 'Lung')
    expect(created.code).toBe(0)
    expect(JSON.parse(created.stdout)).toMatchObject({ name: 'Lung', slideCount: 0 })
    const list = tessera('project', 'list', '--db', db, '--json')
    expect(JSON.parse(list.stdout).map((p: { name: string }) => p.name)).toEqual(['Lung'])
  })

  it('fails with exit 1 and a message on stderr for a domain error', () => {
    const r = tessera('--db', db, 'project', 'create', 'Lung')
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/already exists/)
    expect(r.stdout).toBe('')
  })

  it('exits 2 for unknown commands and bad options', () => {
    expect(tessera('--db', db, 'frobnicate').code).toBe(2)
    const bad = tessera('--db', db, 'project', 'list', '--no-such-flag')
    expect(bad.code).toBe(2)
    expect(bad.stderr).toMatch(/no-such-flag/)
  })

  it('runs a job with progress on stderr and the result on stdout', () => {
    const r = tessera('--db', db, 'job', 'demo', '--steps', '5', '--step-ms', '1')
    expect(r.code).toBe(0)
    expect(JSON.parse(r.stdout)).toMatchObject({ status: 'succeeded', result: { counted: 5 } })
    expect(r.stderr).toMatch(/diagnostic\.count.*100%/)
  })
})
