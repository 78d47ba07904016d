// The truth probe: patch annotations looked up by level-0 centre from a tessera-patch-truth/1 file (clear errors naming
// the file), and the probe's read-out on the synthetic cohort (unannotated patches left out, identical students equal).
import * as tf from '@tensorflow/tfjs'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { McmConfig } from '../../../src-shared/contracts/train'
import { loadPatchTruth } from '../../../src-main/ml/mcm/patch-truth'
import { createStudent } from '../../../src-main/ml/mcm/student'
import { SyntheticCohort } from '../../../src-main/ml/mcm/synthetic-cohort'
import { teacherTargets } from '../../../src-main/ml/mcm/targets'
import { teacherProbe } from '../../../src-main/ml/mcm/teacher-probe'
import { tempDir } from '../../helpers/tmp'

beforeAll(async () => {
  await tf.setBackend('cpu')
})

function truthFile(doc: unknown): string {
  const f = join(tempDir('patch-truth-'), 'truth.json')
  writeFileSync(f, JSON.stringify(doc))
  return f
}

describe('patch truth file', () => {
  const doc = { format: 'tessera-patch-truth/1', channels: ['a', 'b'], cellSize: 64, slides: { s1: { cols: 2, rows: 2, values: [0, 10, 1, 11, 2, 12, 3, null] } } }

  it('looks a value up by the level-0 point, per channel; null outside the lattice, on other slides and where unannotated', () => {
    const f = truthFile(doc)
    const a = loadPatchTruth(f, 'a')
    const b = loadPatchTruth(f, 'b')
    expect(a.valueAt('s1', 32, 32)).toBe(0)
    expect(a.valueAt('s1', 96, 32)).toBe(1)
    expect(a.valueAt('s1', 32, 96)).toBe(2)
    expect(b.valueAt('s1', 96, 32)).toBe(11)
    expect(b.valueAt('s1', 96, 96)).toBeNull()
    expect(a.valueAt('s1', 130, 32)).toBeNull()
    expect(a.valueAt('s2', 32, 32)).toBeNull()
    expect(a.slides()).toEqual(['s1'])
  })

  it('names the file and the problem', () => {
    expect(() => loadPatchTruth(truthFile(doc), 'c')).toThrow(/truth\.json: no channel "c" \(channels: a, b\)/)
    expect(() => loadPatchTruth(truthFile({ ...doc, format: 'x' }), 'a')).toThrow(/truth\.json: format must be "tessera-patch-truth\/1"/)
    expect(() => loadPatchTruth(truthFile({ ...doc, slides: { s1: { cols: 2, rows: 2, values: [1] } } }), 'a')).toThrow(/truth\.json: slide "s1" needs integer cols, rows and cols·rows·2 values/)
    const broken = join(tempDir('patch-truth-'), 'broken.json')
    writeFileSync(broken, '{"format":')
    expect(() => loadPatchTruth(broken, 'a')).toThrow(/broken\.json: not a JSON patch truth file/)
  })
})

describe('truth probe', () => {
  const cfg = McmConfig.parse({ backend: 'cpu', data: { source: 'synthetic', synthetic: { slides: 4, cols: 8, rows: 8, holes: 0 } }, heldOut: { slides: ['synthetic-03'] } })
  const source = new SyntheticCohort(cfg.data.synthetic)
  const grids = source.slides()
  const train = grids.filter((g) => g.slide !== 'synthetic-03')
  const held = grids.filter((g) => g.slide === 'synthetic-03')

  it('reads the annotation out of the same features, leaves unannotated patches out, and scores identical students alike', async () => {
    const targets = teacherTargets(source, cfg)
    const baseline = createStudent('tiny-cnn', source.patchSize, 1)
    const other = createStudent('tiny-cnn', source.patchSize, 2)
    // annotation = first teacher target dimension on even patch indices, none on odd ones
    const truth = { channel: 't0', of: (c: { slide: string; index: number }): number | null => (c.index % 2 === 0 ? (targets.target(c.slide, c.index)[0] as number) : null) }
    try {
      const same = await teacherProbe({ source, targets, trainGrids: train, heldGrids: held, before: baseline, after: baseline, patches: 120, seed: 5, truth })
      const t = same.truth
      if (!t) throw new Error('no truth probe')
      expect(t.channel).toBe('t0')
      expect(t.before).toBe(t.after)
      expect(t.testPatches).toBe(32)
      expect(t.fitPatches).toBeGreaterThan(30)
      expect(t.fitPatches).toBeLessThan(90)
      const diff = await teacherProbe({ source, targets, trainGrids: train, heldGrids: held, before: baseline, after: other, patches: 120, seed: 5, truth })
      expect(diff.truth?.before).toBe(t.before)
      expect(diff.truth?.after).not.toBe(t.before)
      // without an annotation source the probe has no truth section (and costs nothing more)
      expect((await teacherProbe({ source, targets, trainGrids: train, heldGrids: held, before: baseline, after: baseline, patches: 40, seed: 5 })).truth).toBeUndefined()
    } finally {
      baseline.dispose()
      other.dispose()
    }
  })
})
