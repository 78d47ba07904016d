// Child process for the kill/resume test: runs (or resumes) one MCM+KD run in a folder and prints its progress.
// argv: <runDir>; env MCM_PAUSE_IN_CHECKPOINT=1 pauses inside the next checkpoint write (after tensors.bin is staged).
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { McmConfig } from '../../../../src-shared/contracts/train'
import { runMcm } from '../../../../src-main/ml/mcm/run-mcm'
import { SyntheticCohort } from '../../../../src-main/ml/mcm/synthetic-cohort'
import { loadLatestCheckpoint } from '../../../../src-main/ml/mcm/checkpoint'

export const KILL_TEST_CONFIG = McmConfig.parse({
  seed: 11,
  backend: 'cpu',
  window: { size: 3 },
  batchWindows: 2,
  checkpointEvery: 4,
  control: false,
  heldOut: { maxWindows: 4 },
  inspection: { windows: 1 },
  data: { source: 'synthetic', synthetic: { slides: 3, cols: 9, rows: 9, holes: 0, patchSize: 16, teacherDim: 8 } }
})

async function main(): Promise<void> {
  const runDir = process.argv[2]
  if (!runDir) throw new Error('usage: train-child <runDir>')
  const pause = process.env['MCM_PAUSE_IN_CHECKPOINT'] === '1'
  const out = await runMcm({
    cfg: KILL_TEST_CONFIG,
    source: new SyntheticCohort(KILL_TEST_CONFIG.data.synthetic),
    student: 'tiny-cnn',
    teacher: 'synthetic',
    runDir,
    hooks: {
      loss: (p) => process.stdout.write(`STEP ${p.step}\n`),
      notice: (m) => process.stdout.write(`NOTICE ${m}\n`),
      saveHooks: {
        afterPart: async (name) => {
          if (pause && name === 'tensors.bin') {
            process.stdout.write('STAGING\n')
            await new Promise((r) => setTimeout(r, 30_000))
          }
        }
      }
    }
  })
  const final = loadLatestCheckpoint(join(runDir, 'checkpoints', 'main'))
  const tensorsSha = createHash('sha256').update(final?.files['tensors.bin'] ?? Buffer.alloc(0)).digest('hex')
  const weightsSha = createHash('sha256').update(readFileSync(out.exported.weightsPath)).digest('hex')
  process.stdout.write(`DONE ${out.steps.main} ${weightsSha} ${tensorsSha}\n`)
}

main().catch((e: unknown) => {
  process.stderr.write(`${(e as Error).stack ?? String(e)}\n`)
  process.exit(1)
})
