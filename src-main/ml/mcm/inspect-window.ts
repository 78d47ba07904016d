// On-demand inspection of any window the user clicks: a fixed mask for that window, and per masked cell the cosine
// between prediction and teacher before fine-tuning (seeded initial weights) and after (the run's final main checkpoint).
import { join } from 'node:path'
import type { InspectedWindow, McmConfig } from '../../../src-shared/contracts/train'
import { unpackTensors, loadLatestCheckpoint } from './checkpoint'
import type { McmDataSource } from './data-source'
import { evaluateModels } from './evaluate'
import { makeMask } from './masking'
import { createModels, importModelTensors } from './models'
import { Rng, STREAM, deriveSeed } from './rng'
import { selectBackend } from '../backend'
import { teacherTargets } from './targets'
import type { StudentFactory } from './student'
import { windowAt } from './windows'

function nameHash(s: string): number {
  let h = 0
  for (let i = 0; i < s.length; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) | 0
  return h >>> 0
}

export interface InspectRequest {
  cfg: McmConfig
  source: McmDataSource
  student: string
  studentFactory?: StudentFactory
  runDir: string
  slide: string
  /** top-left grid cell of the window */
  col: number
  row: number
}

export async function inspectWindow(r: InspectRequest): Promise<InspectedWindow> {
  await selectBackend(r.cfg.backend)
  const grid = r.source.slides().find((g) => g.slide === r.slide)
  if (!grid) throw new Error(`slide "${r.slide}" is not part of this run's data`)
  const s = r.cfg.window.size
  const window = windowAt(grid, r.col, r.row, s)
  if (!window) throw new Error(`${r.slide}: the ${s}×${s} window at column ${r.col}, row ${r.row} is not all tissue (or leaves the grid)`)
  const mask = makeMask(s, r.cfg.mask.ratio, r.cfg.mask.strategy, Rng.keyed(r.cfg.seed, STREAM.heldOut, 2, deriveSeed(nameHash(r.slide), r.col, r.row)))
  const ck = loadLatestCheckpoint(join(r.runDir, 'checkpoints', 'main'))
  if (!ck) throw new Error(`run folder ${r.runDir} has no checkpoint of the main phase yet`)
  const items = [{ window, mask, augmentKey: null }]
  const targetSet = teacherTargets(r.source, r.cfg)
  const before = createModels(r.cfg, r.student, r.source.patchSize, targetSet.space.dim, r.studentFactory)
  const after = createModels(r.cfg, r.student, r.source.patchSize, targetSet.space.dim, r.studentFactory)
  try {
    importModelTensors(after, unpackTensors(ck.files['tensors.bin'] as Buffer, (ck.files['tensors.json'] as Buffer).toString('utf8')), `checkpoint ${ck.dir}`)
    const b = await evaluateModels(before, r.source, targetSet, items, r.cfg)
    const a = await evaluateModels(after, r.source, targetSet, items, r.cfg)
    return {
      slide: r.slide,
      col: r.col,
      row: r.row,
      size: s,
      mask,
      cosineBefore: b.perWindow[0]?.cos ?? [],
      cosineAfter: a.perWindow[0]?.cos ?? []
    }
  } finally {
    before.dispose()
    after.dispose()
  }
}
