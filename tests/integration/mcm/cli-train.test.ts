// End to end through the CLI: `tessera train` fine-tunes the tiny student for one epoch on a generated (synthetic)
// cohort on wasm, then `tessera run show --json` returns config, loss curve, checkpoints and the four held-out numbers.
import { spawnSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { InspectedWindow, McmInspection, McmRunDetail } from '../../../src-shared/contracts/train'
import { tempDir } from '../../helpers/tmp'

const BIN = join(import.meta.dirname, '..', '..', '..', 'bin', 'tessera.mjs')

function tessera(db: string, ...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, '--db', db, ...args], { encoding: 'utf8', timeout: 170_000 })
  return { code: r.status, stdout: r.stdout, stderr: r.stderr }
}

describe('tessera train (CLI, synthetic cohort, wasm)', () => {
  it('trains one epoch; held-out masked L1 falls below its value before training; run show has the record', () => {
    const dir = tempDir('mcm-cli-')
    const db = join(dir, 't.db')
    const config = join(dir, 'run.json')
    writeFileSync(
      config,
      JSON.stringify({
        seed: 1,
        backend: 'wasm',
        window: { size: 3 },
        batchWindows: 8,
        checkpointEvery: 10,
        optim: { lrStudent: 0.002, lrPredictor: 0.003 },
        // as wide as the 16-d tiny student: this test checks that one epoch trains end to end through the CLI, and the
        // default half-width predictor learns this cohort's context more slowly (here 0.948 → 0.781 in its 28 steps)
        predictor: { width: 16 },
        data: { source: 'synthetic', synthetic: { slides: 6, cols: 14, rows: 14, holes: 0.02 } }
      })
    )
    expect(tessera(db, 'project', 'create', 'P').code).toBe(0)
    const r = tessera(db, 'train', '--project', 'P', '--student', 'tiny-cnn', '--teacher', 'synthetic', '--config', config, '--json')
    expect(r.code, r.stderr.slice(-2000)).toBe(0)
    expect(r.stderr).toMatch(/main step \d+\/\d+ loss [\d.]+ lr [\d.e+-]+ ETA \d+s/)
    const out = JSON.parse(r.stdout) as { runId: number; outputModel: string; evaluation: NonNullable<McmRunDetail['evaluation']> }
    expect(out.outputModel).toBe(`tiny-cnn-mcm-run${out.runId}`)
    const e = out.evaluation
    console.log(
      `held-out masked L1 (${e.windows} windows, ${e.maskedPatches} masked patches): before ${e.before.toFixed(4)}, after ${e.after.toFixed(4)}, ` +
        `frozen-student control ${e.control?.toFixed(4)}, visible-mean baseline ${e.visibleMeanBaseline.toFixed(4)}; ` +
        `after ${e.after < (e.control ?? Infinity) ? 'beats' : 'does NOT beat'} the control`
    )
    expect(e.after).toBeLessThan(e.before * 0.8)
    expect(e.control).not.toBeNull()
    // the teacher probe ran (default config) on every held-out patch and a sample of the training patches
    const probe = e.teacherProbe
    expect(probe).toBeDefined()
    expect(Number.isFinite(probe?.before) && Number.isFinite(probe?.after)).toBe(true)
    expect(probe?.testPatches).toBeGreaterThan(0)
    expect(probe?.fitPatches).toBeGreaterThan(probe?.testPatches ?? 0)
    console.log(`teacher probe (held-out R² of student features → targets): before ${probe?.before.toFixed(4)}, after ${probe?.after.toFixed(4)}`)

    const show = tessera(db, 'run', 'show', String(out.runId), '--json')
    expect(show.code).toBe(0)
    const run = JSON.parse(show.stdout) as McmRunDetail
    expect(run.status).toBe('succeeded')
    expect(run.config.window.size).toBe(3)
    expect(run.config.loss.teacherNorm).toBe('standardize')
    expect(run.lossCurve.filter((p) => p.phase === 'main').length).toBeGreaterThan(5)
    expect(run.lossCurve.filter((p) => p.phase === 'control').length).toBe(run.lossCurve.filter((p) => p.phase === 'main').length)
    expect(run.checkpoints.some((c) => c.phase === 'main')).toBe(true)
    expect(run.evaluation?.after).toBe(e.after)

    // stored inspection (chosen held-out windows + error maps), then on-demand inspection of one window
    const ins = JSON.parse(tessera(db, 'run', 'inspect', String(out.runId), '--json').stdout) as McmInspection
    expect(ins.windows.length).toBeGreaterThan(0)
    const w = ins.windows[0] as InspectedWindow
    expect(w.mask.filter(Boolean).length).toBeGreaterThan(0)
    expect(w.mask.every(Boolean)).toBe(false)
    w.mask.forEach((m, i) => expect(m ? typeof w.cosineAfter[i] : w.cosineAfter[i]).toBe(m ? 'number' : null))
    expect(ins.errorMaps.some((m) => m.values.some((v) => v !== null))).toBe(true)
    const click = tessera(db, 'run', 'inspect', String(out.runId), '--slide', w.slide, '--col', String(w.col), '--row', String(w.row), '--json')
    expect(click.code, click.stderr.slice(-1500)).toBe(0)
    const clicked = JSON.parse(click.stdout) as InspectedWindow
    expect(clicked.size).toBe(3)
    expect(clicked.cosineBefore.filter((c) => c !== null).length).toBe(clicked.mask.filter(Boolean).length)
    expect(clicked.cosineAfter.filter((c) => c !== null).length).toBe(clicked.mask.filter(Boolean).length)
  })
})
