// A full disk under the database (issue 17 item 12), on a small tmpfs made by the test: a job whose writes fail is
// failed cleanly with the cause (no uncaught SqliteError, the row is not left `running`), and reads (project list,
// job list) still work — in the same process and from a fresh one (a new CLI command) while the disk stays full.
import { afterAll, describe, expect, it } from 'vitest'
import { existsSync } from 'node:fs'
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { createCore } from '../../../src-main/core/core'
import { reservePath } from '../../../src-main/store/disk-reserve'
import type { Job, Project } from '../../../src-shared/domain/types'
import { mountSmallFs } from '../../helpers/small-fs'

const fs = mountSmallFs(8 * 1024 * 1024)
afterAll(() => fs.unmount())

describe('database on a full disk', () => {
  it('fails the job with the cause, records it, and keeps reads working', async (ctx) => {
    if (!fs.dir) return ctx.skip(fs.reason)
    const dbPath = join(fs.dir, 'tessera.db')
    const core = createCore({ dbPath, door: 'cli' })
    const uncaught: unknown[] = []
    const onUncaught = (e: unknown): void => void uncaught.push(e)
    process.on('uncaughtException', onUncaught)
    try {
      const project = (await core.dispatch('project.create', { name: 'Lung' })) as Project
      expect(existsSync(reservePath(dbPath))).toBe(true)
      // the disk fills up while the job runs: its own writes (resume state each step) then fail
      const started = core.jobs.start('diagnostic.count', project.id, { steps: 100_000, stepMs: 1 })
      while (core.jobsRepo.get(started.id).progress === 0) await new Promise((r) => setTimeout(r, 20))
      const filler = fs.fill(0)
      const job = await core.jobs.wait(started.id)
      expect(job.status).toBe('failed')
      expect(job.error).toMatch(/no space left on device \(ENOSPC\)|database or disk is full/)
      expect(job.error).toContain(dbPath)
      // the row says so too (not left running)
      const rows = (await core.dispatch('job.list', {})) as Job[]
      expect(rows.find((j) => j.id === started.id)).toMatchObject({ status: 'failed' })
      expect(((await core.dispatch('project.list', {})) as Project[]).map((p) => p.name)).toEqual(['Lung'])
      core.close()
      expect(uncaught).toEqual([])

      // a new command on the still-full disk: reads work
      const list = spawnSync(process.execPath, ['bin/tessera.mjs', '--db', dbPath, 'job', 'list', '--json'], { encoding: 'utf8', timeout: 60_000 })
      expect(list.status, list.stderr).toBe(0)
      expect((JSON.parse(list.stdout) as Job[]).find((j) => j.id === started.id)).toMatchObject({ status: 'failed' })
      const projects = spawnSync(process.execPath, ['bin/tessera.mjs', '--db', dbPath, 'project', 'list', '--json'], { encoding: 'utf8', timeout: 60_000 })
      expect(projects.status, projects.stderr).toBe(0)
      expect(projects.stdout).toMatch(/Lung/)
      void filler
    } finally {
      process.off('uncaughtException', onUncaught)
      core.close()
    }
  })
})
