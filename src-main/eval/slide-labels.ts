// Slide labels: validate a labels CSV against the project's slides (row-numbered errors) and store label, patient id
// and fold on the slides table. (Operates on the slides table directly; the slides repo belongs to another room.)
import type { Db } from '../store/database'
import { parseCsv, type CsvTable } from '../interop/csv'

// Name/file columns first: on a tie (several columns match every slide) a file name is less ambiguous than an id.
const slideColumns = ['slide', 'slide_name', 'file', 'filename', 'file_name', 'slide_path', 'wsi', 'image', 'slide_id']
const labelColumns = ['label', 'class', 'target', 'diagnosis']
const patientColumns = ['patient', 'patient_id', 'case_id', 'case', 'subject']
const foldColumns = ['fold']

export interface LabelledSlide {
  slideId: number
  slideName: string
  label: string
  patientId: string | null
  fold: number | null
}

export interface LabelImportPlan {
  rows: LabelledSlide[]
  classes: { label: string; count: number }[]
  task: 'binary' | 'multiclass' | 'single-class'
  unlabelledSlides: string[]
}

export class LabelsCsvError extends Error {
  constructor(
    message: string,
    readonly problems: string[]
  ) {
    super(message)
    this.name = 'LabelsCsvError'
  }
}

interface SlideRow {
  id: number
  name: string
  path: string
}

const baseName = (p: string): string => p.split(/[\\/]/).pop() ?? p
const stem = (p: string): string => baseName(p).replace(/\.[^.]+$/, '')

/** Every way a CSV may name a slide: id, name, file name, file name without extension. */
function slideIndex(slides: readonly SlideRow[]): Map<string, SlideRow[]> {
  const index = new Map<string, SlideRow[]>()
  for (const s of slides) {
    for (const key of new Set([String(s.id), s.name, stem(s.name), baseName(s.path), stem(s.path)])) {
      const list = index.get(key) ?? []
      if (!list.includes(s)) list.push(s)
      index.set(key, list)
    }
  }
  return index
}

function findColumn(header: readonly string[], names: readonly string[]): number {
  const lower = header.map((h) => h.toLowerCase())
  for (const n of names) {
    const i = lower.indexOf(n)
    if (i >= 0) return i
  }
  return -1
}

/**
 * The slide column: among the slide-like columns present (e.g. both `slide_id` and `file`), the one whose values
 * name the most slides of the project; ties go to the earlier name in `slideColumns`. -1 when none is present.
 */
function bestSlideColumn(table: CsvTable, index: Map<string, SlideRow[]>): number {
  const lower = table.header.map((h) => h.toLowerCase())
  let best = -1
  let bestHits = -1
  for (const name of slideColumns) {
    const col = lower.indexOf(name)
    if (col < 0) continue
    const hits = table.rows.filter((r) => {
      const v = (r.cells[col] ?? '').trim()
      return (index.get(v) ?? index.get(baseName(v)) ?? index.get(stem(v)) ?? []).length === 1
    }).length
    if (hits > bestHits) {
      best = col
      bestHits = hits
    }
  }
  return best
}

/** Validate the CSV against the project's slides. Collects every problem (first 50) instead of stopping at the first. */
export function planLabelImport(db: Db, projectId: number, csvText: string, fileName: string, options: { quoteUnknownHeader?: boolean } = {}): LabelImportPlan {
  const table = parseCsv(csvText, fileName)
  const labelCol = findColumn(table.header, labelColumns)
  const patientCol = findColumn(table.header, patientColumns)
  const foldCol = findColumn(table.header, foldColumns)
  // a header with neither column may be any file at all (/etc/passwd): then count its columns, do not echo them
  const found =
    options.quoteUnknownHeader === false
      ? `found ${table.header.length} column${table.header.length === 1 ? '' : 's'}, none of them a slide or label column (is this a labels CSV?)`
      : `found columns: ${table.header.map((h) => `"${h}"`).join(', ')}`
  const slides = db.prepare('SELECT id, name, path FROM slides WHERE project_id = ? ORDER BY id').all(projectId) as SlideRow[]
  const index = slideIndex(slides)
  const slideCol = bestSlideColumn(table, index)
  if (slideCol < 0 || labelCol < 0) {
    const missing = [slideCol < 0 ? `a slide column (one of ${slideColumns.join(', ')})` : null, labelCol < 0 ? `a label column (one of ${labelColumns.join(', ')})` : null]
      .filter(Boolean)
      .join(' and ')
    throw new LabelsCsvError(`${fileName} row 1: the header needs ${missing}; ${found}`, [])
  }
  const problems: string[] = []
  const seen = new Map<number, number>()
  const rows: LabelledSlide[] = []
  for (const { row, cells } of table.rows) {
    const where = `${fileName} row ${row}`
    if (cells.length !== table.header.length) {
      problems.push(`${where}: ${cells.length} fields, the header has ${table.header.length}`)
      continue
    }
    const ref = (cells[slideCol] ?? '').trim()
    const label = (cells[labelCol] ?? '').trim()
    const patient = patientCol >= 0 ? (cells[patientCol] ?? '').trim() : ''
    const foldText = foldCol >= 0 ? (cells[foldCol] ?? '').trim() : ''
    if (ref === '') {
      problems.push(`${where}: empty slide`)
      continue
    }
    if (label === '') problems.push(`${where}: empty label for slide "${ref}"`)
    // a path in the CSV (e.g. "slides/a.svs") also matches by its file name
    const matches = index.get(ref) ?? index.get(baseName(ref)) ?? index.get(stem(ref)) ?? []
    if (matches.length === 0) {
      problems.push(`${where}: unknown slide "${ref}" (no slide of this project has that id, name or file name)`)
      continue
    }
    if (matches.length > 1) {
      problems.push(`${where}: "${ref}" matches ${matches.length} slides (${matches.map((m) => m.path).join(', ')}): use the slide id`)
      continue
    }
    const slide = matches[0] as SlideRow
    const earlier = seen.get(slide.id)
    if (earlier !== undefined) {
      problems.push(`${where}: slide "${ref}" is already labelled on row ${earlier}`)
      continue
    }
    seen.set(slide.id, row)
    let fold: number | null = null
    if (foldText !== '') {
      fold = Number(foldText)
      if (!Number.isInteger(fold) || fold < 0) {
        problems.push(`${where}: fold "${foldText}" is not a non-negative integer`)
        continue
      }
    }
    if (label !== '') rows.push({ slideId: slide.id, slideName: slide.name, label, patientId: patient === '' ? null : patient, fold })
  }
  if (table.rows.length === 0) problems.push(`${fileName}: no data rows under the header`)
  if (foldCol >= 0 && rows.some((r) => r.fold === null) && rows.some((r) => r.fold !== null)) {
    problems.push(`${fileName}: the fold column is filled for some rows and empty for others (fill it for every row or none)`)
  }
  if (problems.length > 0) {
    const shown = problems.slice(0, 50)
    const more = problems.length > shown.length ? `\n… and ${problems.length - shown.length} more` : ''
    throw new LabelsCsvError(`${fileName}: ${problems.length} problem${problems.length === 1 ? '' : 's'}:\n${shown.join('\n')}${more}`, problems)
  }
  const counts = new Map<string, number>()
  for (const r of rows) counts.set(r.label, (counts.get(r.label) ?? 0) + 1)
  const classes = [...counts.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1)).map(([label, count]) => ({ label, count }))
  const labelled = new Set(rows.map((r) => r.slideId))
  return {
    rows,
    classes,
    task: classes.length === 2 ? 'binary' : classes.length > 2 ? 'multiclass' : 'single-class',
    unlabelledSlides: slides.filter((s) => !labelled.has(s.id)).map((s) => s.name)
  }
}

/** Store a validated plan in one transaction (label, patient id, metadata.fold). Slides not in the CSV keep their values. */
export function applyLabelImport(db: Db, plan: LabelImportPlan): number {
  const update = db.prepare(
    `UPDATE slides SET label = ?, patient_id = ?,
       metadata = CASE WHEN ? IS NULL THEN json_remove(metadata, '$.fold') ELSE json_set(metadata, '$.fold', ?) END
     WHERE id = ?`
  )
  db.transaction(() => {
    for (const r of plan.rows) update.run(r.label, r.patientId, r.fold, r.fold, r.slideId)
  })()
  return plan.rows.length
}

export interface LabelledSlideRecord {
  slideId: number
  name: string
  path: string
  checksum: string | null
  label: string
  patientId: string
  fold: number | null
}

/** The labelled slides of a project, ordered by id (slides without a patient id are their own patient). */
export function labelledSlides(db: Db, projectId: number): LabelledSlideRecord[] {
  const rows = db
    .prepare(
      `SELECT id, name, path, checksum, label, patient_id, json_extract(metadata, '$.fold') AS fold
       FROM slides WHERE project_id = ? AND label IS NOT NULL AND label <> '' ORDER BY id`
    )
    .all(projectId) as { id: number; name: string; path: string; checksum: string | null; label: string; patient_id: string | null; fold: number | null }[]
  return rows.map((r) => ({
    slideId: r.id,
    name: r.name,
    path: r.path,
    checksum: r.checksum,
    label: r.label,
    patientId: r.patient_id ?? `slide-${r.id}`,
    fold: typeof r.fold === 'number' ? r.fold : null
  }))
}
