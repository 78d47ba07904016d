// Labels CSV: parsing (quotes, BOM, ; delimiter), row-numbered validation errors, storing label/patient/fold on slides.
import { describe, expect, it } from 'vitest'
import { openDatabase, type Db } from '../../../src-main/store/database'
import { parseCsv, toCsv } from '../../../src-main/interop/csv'
import { applyLabelImport, labelledSlides, planLabelImport } from '../../../src-main/eval/slide-labels'

function projectWithSlides(): { db: Db; projectId: number } {
  const db = openDatabase(':memory:')
  const projectId = Number(db.prepare("INSERT INTO projects (name) VALUES ('p')").run().lastInsertRowid)
  const add = db.prepare("INSERT INTO slides (project_id, path, name, status) VALUES (?, ?, ?, 'ok')")
  for (const n of ['a', 'b', 'c', 'd']) add.run(projectId, `/data/${n}.svs`, `${n}.svs`)
  return { db, projectId }
}

describe('parseCsv / toCsv', () => {
  it('handles quotes, doubled quotes, embedded newlines, CRLF, BOM and semicolons', () => {
    const t = parseCsv('\ufeffslide;label\r\n"x;1";"say ""hi"""\r\n\r\n"multi\nline";2\r\n')
    expect(t.delimiter).toBe(';')
    expect(t.header).toEqual(['slide', 'label'])
    expect(t.rows).toEqual([
      { row: 2, cells: ['x;1', 'say "hi"'] },
      { row: 4, cells: ['multi\nline', '2'] }
    ])
    expect(() => parseCsv('a,b\n"open,1\n', 'x.csv')).toThrow(/x.csv row 2: a quoted field is never closed/)
    expect(parseCsv(toCsv(['a', 'b'], [['x,y', 1.5], ['"q"', null]])).rows.map((r) => r.cells)).toEqual([
      ['x,y', '1.5'],
      ['"q"', '']
    ])
  })
})

describe('labels import', () => {
  it('matches slides by id, name or file stem, and stores label, patient and fold', () => {
    const { db, projectId } = projectWithSlides()
    const plan = planLabelImport(db, projectId, 'Slide_ID,Label,patient_id,fold\n1,tumor,P1,0\nb.svs,normal,P1,0\nc,tumor,P2,1\n', 'labels.csv')
    expect(plan.task).toBe('binary')
    expect(plan.classes).toEqual([
      { label: 'normal', count: 1 },
      { label: 'tumor', count: 2 }
    ])
    expect(plan.unlabelledSlides).toEqual(['d.svs'])
    expect(applyLabelImport(db, plan)).toBe(3)
    expect(labelledSlides(db, projectId).map((s) => [s.name, s.label, s.patientId, s.fold])).toEqual([
      ['a.svs', 'tumor', 'P1', 0],
      ['b.svs', 'normal', 'P1', 0],
      ['c.svs', 'tumor', 'P2', 1]
    ])
  })
  it('reports every problem with its row number', () => {
    const { db, projectId } = projectWithSlides()
    const csv = 'slide,label\na,x\nzzz,y\nb,\na,z\nc,x,extra\n'
    let message = ''
    try {
      planLabelImport(db, projectId, csv, 'labels.csv')
    } catch (e) {
      message = (e as Error).message
    }
    expect(message).toContain('labels.csv: 4 problems')
    expect(message).toContain('labels.csv row 3: unknown slide "zzz"')
    expect(message).toContain('labels.csv row 4: empty label for slide "b"')
    expect(message).toContain('labels.csv row 5: slide "a" is already labelled on row 2')
    expect(message).toContain('labels.csv row 6: 3 fields, the header has 2')
  })
  it('names the missing columns and the ones found', () => {
    const { db, projectId } = projectWithSlides()
    expect(() => planLabelImport(db, projectId, 'name,diag\na,x\n', 'l.csv')).toThrow(/l.csv row 1: the header needs a slide column .* and a label column .*found columns: "name", "diag"/)
  })
  it('supports multi-class labels', () => {
    const { db, projectId } = projectWithSlides()
    const plan = planLabelImport(db, projectId, 'file,class\na.svs,LUAD\nb.svs,LUSC\nc.svs,normal\n', 'l.csv')
    expect(plan.task).toBe('multiclass')
  })
})

describe('labels import column choice', () => {
  it('uses the slide-like column that names the project’s slides (external slide_id + file name)', () => {
    const { db, projectId } = projectWithSlides()
    const plan = planLabelImport(db, projectId, 'slide_id,file,label\nS-17,slides/a.svs,1\nS-18,slides/b.svs,0\n', 'cohort.csv')
    expect(plan.rows.map((r) => [r.slideName, r.label])).toEqual([
      ['a.svs', '1'],
      ['b.svs', '0']
    ])
  })
})
