// Per-patch annotations for the truth probe (config `probe.truth`): a JSON file of values on a level-0 lattice per
// slide (a synthetic cohort's ground truth, or a lab's patch-level annotations), read once and looked up by the level-0
// centre of a grid patch. Used for MEASUREMENT only (the truth probe's R²), never as a training target.
import { readFileSync, statSync } from 'node:fs'

/**
 * `tessera-patch-truth/1`: `{ format, channels: string[], cellSize: number (level-0 px), slides: { <slide name>:
 * { cols, rows, values: number[] (rows·cols·channels, row-major by cell, then channel; null = no value) } } }`.
 */
export interface PatchTruthFile {
  format: 'tessera-patch-truth/1'
  channels: string[]
  cellSize: number
  note?: string
  slides: Record<string, { cols: number; rows: number; values: (number | null)[] }>
}

export interface PatchTruth {
  channel: string
  file: string
  /** the value of the lattice cell holding level-0 point (x, y) of `slide`; null outside the lattice or unannotated */
  valueAt(slide: string, x: number, y: number): number | null
  slides(): string[]
}

const MAX_BYTES = 256 * 1024 * 1024

export function loadPatchTruth(file: string, channel: string): PatchTruth {
  const size = statSync(file).size
  if (size > MAX_BYTES) throw new Error(`${file}: patch truth file is ${size} bytes, above the ${MAX_BYTES}-byte limit`)
  let doc: PatchTruthFile
  try {
    doc = JSON.parse(readFileSync(file, 'utf8')) as PatchTruthFile
  } catch (e) {
    throw new Error(`${file}: not a JSON patch truth file (${(e as Error).message.slice(0, 200)})`)
  }
  if (doc?.format !== 'tessera-patch-truth/1') throw new Error(`${file}: format must be "tessera-patch-truth/1"`)
  if (!Array.isArray(doc.channels) || !(Number.isFinite(doc.cellSize) && doc.cellSize > 0)) throw new Error(`${file}: needs "channels" (array) and a positive "cellSize"`)
  const k = doc.channels.indexOf(channel)
  if (k < 0) throw new Error(`${file}: no channel "${channel}" (channels: ${doc.channels.join(', ')})`)
  const nc = doc.channels.length
  for (const [name, s] of Object.entries(doc.slides ?? {})) {
    if (!Number.isInteger(s.cols) || !Number.isInteger(s.rows) || !Array.isArray(s.values) || s.values.length !== s.cols * s.rows * nc) {
      throw new Error(`${file}: slide "${name}" needs integer cols, rows and cols·rows·${nc} values`)
    }
  }
  return {
    channel,
    file,
    slides: () => Object.keys(doc.slides ?? {}),
    valueAt(slide, x, y) {
      const s = doc.slides[slide]
      if (!s) return null
      const col = Math.floor(x / doc.cellSize)
      const row = Math.floor(y / doc.cellSize)
      if (col < 0 || row < 0 || col >= s.cols || row >= s.rows) return null
      const v = s.values[(row * s.cols + col) * nc + k]
      return typeof v === 'number' && Number.isFinite(v) ? v : null
    }
  }
}
