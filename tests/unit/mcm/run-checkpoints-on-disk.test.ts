// run show / run.get lists only checkpoint generations still on disk (issue 17 item 15): the trainer prunes old
// generations, and their rows must not be offered as loadable checkpoints.
import { afterAll, describe, expect, it } from 'vitest'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { createCore } from '../../../src-main/core/core'
import { McmConfig, type McmRunDetail } from '../../../src-shared/contracts/train'
import type { Project } from '../../../src-shared/domain/types'
import { tempDir } from '../../helpers/tmp'

const dir = tempDir('ckpt-')
const core = createCore({ dbPath: join(dir, 't.db'), door: 'cli' })
afterAll(() => core.close())

describe('run checkpoints', () => {
  it('lists only generations that still exist', async () => {
    const project = (await core.dispatch('project.create', { name: 'P' })) as Project
    const job = Number(core.db.prepare("INSERT INTO jobs (project_id, kind, status, result) VALUES (?, 'train.mcm', 'succeeded', '{}')").run(project.id).lastInsertRowid)
    const run = core.runs.create({ projectId: project.id, jobId: job, student: 's', teacher: 't', config: McmConfig.parse({}), runDir: join(dir, 'run') })
    for (const step of [10, 20, 30]) {
      const path = join(dir, 'run', 'checkpoints', `main-${step}`)
      if (step !== 10) mkdirSync(path, { recursive: true }) // generation 10 was pruned by the trainer
      core.runs.addCheckpoint(run.id, { phase: 'main', step, path, manifestSha256: 'ab'.repeat(32) })
    }
    const detail = (await core.dispatch('run.get', { id: run.id })) as McmRunDetail
    expect(detail.checkpoints.map((c) => c.step)).toEqual([20, 30])
  })
})
