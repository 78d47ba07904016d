// CSV read/write (RFC 4180: quoted fields, doubled quotes, CRLF, embedded newlines; BOM stripped; , ; or tab).

export interface CsvTable {
  header: string[]
  /** data records with the 1-based spreadsheet row where each starts (header = row 1) */
  rows: { row: number; cells: string[] }[]
  delimiter: string
}

/** Pick the delimiter that splits the first line into the most fields (comma on ties). */
function sniffDelimiter(text: string): string {
  const firstLine = text.split(/\r?\n/, 1)[0] ?? ''
  let best = ','
  let bestCount = 0
  for (const d of [',', ';', '\t']) {
    const count = firstLine.split(d).length - 1
    if (count > bestCount) {
      best = d
      bestCount = count
    }
  }
  return best
}

/** Parse CSV text. Throws with the file name and row on an unterminated quote. Blank lines are skipped. */
export function parseCsv(text: string, fileName = 'CSV'): CsvTable {
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1)
  const delimiter = sniffDelimiter(text)
  const records: { row: number; cells: string[] }[] = []
  let cells: string[] = []
  let field = ''
  let inQuotes = false
  let line = 1
  let recordStart = 1
  let fieldQuoted = false
  const endRecord = (): void => {
    cells.push(field)
    if (!(cells.length === 1 && cells[0] === '' && !fieldQuoted)) records.push({ row: recordStart, cells })
    cells = []
    field = ''
    fieldQuoted = false
  }
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string
    if (inQuotes) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          field += '"'
          i++
        } else inQuotes = false
      } else {
        if (ch === '\n') line++
        field += ch
      }
      continue
    }
    if (ch === '"' && field === '') {
      inQuotes = true
      fieldQuoted = true
    } else if (ch === delimiter) {
      cells.push(field)
      field = ''
      fieldQuoted = false
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++
      endRecord()
      line++
      recordStart = line
    } else field += ch
  }
  if (inQuotes) throw new Error(`${fileName} row ${recordStart}: a quoted field is never closed`)
  if (field !== '' || cells.length > 0 || fieldQuoted) endRecord()
  const [head, ...rows] = records
  if (!head) throw new Error(`${fileName} is empty: expected a header row`)
  return { header: head.cells.map((h) => h.trim()), rows, delimiter }
}

/** Quote a cell when it holds a delimiter, quote or newline (or leading/trailing space). */
function quoteCell(value: string): string {
  return /[",\n\r]|^\s|\s$/.test(value) ? `"${value.replace(/"/g, '""')}"` : value
}

export type CsvRow = readonly (string | number | null)[]

/** Write rows as CSV text (comma, LF line ends, trailing newline). Numbers are written with full precision. */
export function toCsv(header: readonly string[], rows: readonly CsvRow[]): string {
  const cell = (v: string | number | null): string => (v === null ? '' : typeof v === 'number' ? (Number.isFinite(v) ? String(v) : '') : quoteCell(v))
  return [header.map(quoteCell).join(','), ...rows.map((r) => r.map(cell).join(','))].join('\n') + '\n'
}
