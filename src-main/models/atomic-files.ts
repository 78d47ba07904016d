// Atomic file and folder writes (temp + fsync + rename) and SHA-256 of files, for model and feature exports.
import { createHash } from 'node:crypto'
import { closeSync, createReadStream, existsSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import { assertReplaceable } from '../core/export-replace'

export async function sha256File(file: string): Promise<string> {
  const h = createHash('sha256')
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) h.update(chunk as Buffer)
  return h.digest('hex')
}

export function fsyncPath(path: string): void {
  const fd = openSync(path, 'r')
  try {
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
}

/** Write bytes to `file` (created) and fsync it. */
export function writeDurable(file: string, bytes: Uint8Array | string): void {
  const fd = openSync(file, 'w')
  try {
    const buf = typeof bytes === 'string' ? Buffer.from(bytes) : bytes
    let off = 0
    while (off < buf.byteLength) off += writeSync(fd, buf, off, buf.byteLength - off)
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
}

/**
 * Build a folder in a temp sibling, then move it into place. With `force`, an existing target is moved aside
 * first and removed after the swap, but only when `listedFiles` proves it an earlier export of the same kind
 * (see core/export-replace); without force an existing target is an error. A kill leaves the old or the new
 * folder in place (plus, at worst, a stray `.tmp-` sibling), never a half-written one at `target`.
 */
export async function writeFolderAtomic(
  target: string,
  force: boolean,
  fill: (tmpDir: string) => Promise<void>,
  listedFiles: (dir: string) => string[] | string
): Promise<void> {
  if (existsSync(target) && !force) throw new Error(`${target} already exists (use --force to replace it)`)
  if (force) assertReplaceable(target, listedFiles)
  const parent = dirname(target)
  mkdirSync(parent, { recursive: true })
  const tmp = join(parent, `.${basename(target)}.tmp-${process.pid}-${Date.now()}`)
  mkdirSync(tmp)
  try {
    await fill(tmp)
    fsyncPath(tmp)
    let old: string | null = null
    if (existsSync(target)) {
      assertReplaceable(target, listedFiles) // again: it may have changed while the new folder was written
      old = join(parent, `.${basename(target)}.old-${process.pid}-${Date.now()}`)
      renameSync(target, old)
    }
    renameSync(tmp, target)
    fsyncPath(parent)
    if (old) rmSync(old, { recursive: true, force: true })
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true })
    throw e
  }
}
