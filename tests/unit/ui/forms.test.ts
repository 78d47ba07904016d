// Renderer form helpers: dropped/pasted path lists, the MCM+KD form ↔ config mapping and validation, attention rasters.
import { describe, expect, it } from 'vitest'
import { parsePathList } from '../../../src-renderer/forms/path-list'
import { defaultForm, toConfigInput, trainerBackends, validateForm } from '../../../src-renderer/forms/mcm-form'
import { buildPointMap } from '../../../src-renderer/viewer/overlays/point-lattice'
import { McmConfig } from '../../../src-shared/contracts/train'

describe('path lists', () => {
  it('splits lines, drops blanks and comments, decodes file:// URIs and de-duplicates', () => {
    const text = 'file:///data/slides/a%20b.svs\r\n\n  /data/c.tif  \n# comment\n/data/c.tif\n'
    expect(parsePathList(text)).toEqual(['/data/slides/a b.svs', '/data/c.tif'])
  })
})

describe('MCM+KD form', () => {
  it('defaults to the schema defaults (one epoch) and maps back to an equivalent config', () => {
    const f = defaultForm()
    expect(f.epochs).toBe(1)
    f.teacher = 'uni'
    expect(validateForm(f)).toEqual([])
    const parsed = McmConfig.parse(toConfigInput(f))
    expect(parsed).toEqual(McmConfig.parse({}))
    expect(trainerBackends()).toContain('cpu')
  })

  it('names every invalid field', () => {
    const f = { ...defaultForm(), teacher: '', maskRatio: 1.5, windowSize: 0, maxSteps: '2.5' }
    const problems = validateForm(f)
    expect(problems.some((p) => p.startsWith('teacher:'))).toBe(true)
    expect(problems.some((p) => p.startsWith('mask.ratio:'))).toBe(true)
    expect(problems.some((p) => p.startsWith('window.size:'))).toBe(true)
    expect(problems.some((p) => p.startsWith('maxSteps:'))).toBe(true)
  })
})

describe('attention point map', () => {
  it('puts each corner on the patch lattice and leaves other cells empty', () => {
    const m = buildPointMap([0, 0, 448, 224, 224, 448], [0.1, 0.7, 0.3], 224)
    expect([m.cols, m.rows]).toEqual([3, 3])
    expect(m.values[0]).toBeCloseTo(0.1)
    expect(m.values[1 * 3 + 2]).toBeCloseTo(0.7)
    expect(m.values[2 * 3 + 1]).toBeCloseTo(0.3)
    expect(Number.isNaN(m.values[4])).toBe(true)
    expect(() => buildPointMap([0, 0, 1], [1], 224)).toThrow(/expected 2 coordinates/)
  })
})
