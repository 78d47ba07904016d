// Reads a safetensors file by ranges: the 8-byte length, then the header, validated against the file's size, then
// one read per tensor. A header that declares more than the file holds (or a huge tensor) is refused having read
// only the header; no whole-file buffer is ever allocated (peak: the decoded tensors plus one tensor's raw bytes).
import { closeSync, readSync } from 'node:fs'
import { openRegularFileSync } from '../core/safe-open'
import { decodeTensor, parseSafetensorsHeader, safetensorsHeaderLength, type NamedTensor, type ReadableDtype, type SafetensorsFile, type SafetensorsLayout } from './safetensors'

/** Bytes read from the file by the last call of this module (the header-only refusal test reads it). */
export const readStats = { bytes: 0 }

function readRange(fd: number, file: string, offset: number, length: number): Buffer {
  const buf = Buffer.allocUnsafe(length)
  let done = 0
  while (done < length) {
    const n = readSync(fd, buf, done, length - done, offset + done)
    if (n === 0) throw new Error(`${file}: file ended at byte ${offset + done} while reading (changed while read?)`)
    done += n
  }
  readStats.bytes += length
  return buf
}

/** Opens `file` (regular files only; a FIFO is refused before any open blocks) and reads its header only. */
function withLayout<T>(file: string, fn: (fd: number, layout: SafetensorsLayout) => T): T {
  readStats.bytes = 0
  const { fd, stats } = openRegularFileSync(file, { what: 'safetensors weights' })
  try {
    const hl = safetensorsHeaderLength(readRange(fd, file, 0, Math.min(8, stats.size)), stats.size, file)
    const layout = parseSafetensorsHeader(readRange(fd, file, 0, 8 + hl), stats.size, file)
    return fn(fd, layout)
  } finally {
    closeSync(fd)
  }
}

/** Header and metadata of a safetensors file, without reading any tensor. */
export function readSafetensorsLayout(file: string): SafetensorsLayout {
  return withLayout(file, (_fd, layout) => layout)
}

/** The whole file's tensors, read tensor by tensor after the header has been checked against the file size. */
export function readSafetensorsFile(file: string): SafetensorsFile {
  return withLayout(file, (fd, layout) => {
    const tensors = new Map<string, NamedTensor>(), dtypes = new Map<string, ReadableDtype>()
    for (const e of layout.entries) {
      tensors.set(e.name, decodeTensor(e, readRange(fd, file, layout.dataStart + e.begin, e.end - e.begin)))
      dtypes.set(e.name, e.dtype)
    }
    return { tensors, dtypes, metadata: layout.metadata }
  })
}
