// One rule for every path a user (or a door's caller) hands us: open only regular files, check before opening,
// read with a size cap. Errors describe the file (path, kind, size), never quote its content.
//
// Why O_NONBLOCK: open(2) of a FIFO for reading blocks until a writer appears, so a stat-then-open race (or no
// check at all) could still freeze the caller; with O_NONBLOCK the open returns at once and fstat then refuses
// it. O_NONBLOCK has no effect on regular files. Note /proc files are "regular" with st_size 0: the cap is
// therefore enforced while reading, not from the size stat reports.
import { closeSync, constants, fstatSync, openSync, readSync, statSync, type Stats } from 'node:fs'
import { open, stat, type FileHandle } from 'node:fs/promises'

export type SafeOpenProblem = 'not_found' | 'not_regular' | 'too_large' | 'unreadable'

export class SafeOpenError extends Error {
  constructor(
    readonly path: string,
    readonly problem: SafeOpenProblem,
    message: string
  ) {
    super(`${path}: ${message}`)
    this.name = 'SafeOpenError'
  }
}

const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0)

function kindOf(st: Stats): string {
  if (st.isDirectory()) return 'a folder'
  if (st.isFIFO()) return 'a named pipe (FIFO)'
  if (st.isSocket()) return 'a socket'
  if (st.isCharacterDevice()) return 'a character device'
  if (st.isBlockDevice()) return 'a block device'
  return 'not a regular file'
}

function notRegular(path: string, st: Stats, what: string): SafeOpenError {
  return new SafeOpenError(path, 'not_regular', `${what} must be a regular file, this is ${kindOf(st)}`)
}

function openFailure(path: string, e: unknown, what: string): SafeOpenError {
  const code = (e as NodeJS.ErrnoException).code
  if (code === 'ENOENT' || code === 'ENOTDIR') return new SafeOpenError(path, 'not_found', `${what} not found`)
  if (code === 'EACCES' || code === 'EPERM') return new SafeOpenError(path, 'unreadable', `${what} is not readable (permission denied)`)
  return new SafeOpenError(path, 'unreadable', `cannot open ${what} (${code ?? 'error'})`)
}

function tooLarge(path: string, maxBytes: number, what: string): SafeOpenError {
  return new SafeOpenError(path, 'too_large', `${what} is larger than the ${maxBytes}-byte limit`)
}

export interface SafeOpenOptions {
  /** how the error names the file: 'labels CSV', 'slide', 'model weights' … (default 'file') */
  what?: string
}

export interface SafeReadOptions extends SafeOpenOptions {
  /** refuse files larger than this many bytes (checked against stat and again while reading) */
  maxBytes: number
}

/** Open a regular file for reading (async). Stat first, open non-blocking, fstat again: a FIFO never blocks. */
export async function openRegularFile(path: string, options: SafeOpenOptions = {}): Promise<{ handle: FileHandle; stats: Stats }> {
  const what = options.what ?? 'file'
  const before = await stat(path).catch((e: unknown) => {
    throw openFailure(path, e, what)
  })
  if (!before.isFile()) throw notRegular(path, before, what)
  const handle = await open(path, OPEN_FLAGS).catch((e: unknown) => {
    throw openFailure(path, e, what)
  })
  const stats = await handle.stat()
  // the path may have been swapped between stat and open
  if (!stats.isFile()) {
    await handle.close()
    throw notRegular(path, stats, what)
  }
  return { handle, stats }
}

/** Synchronous twin of openRegularFile, for code that is synchronous today; returns a file descriptor. */
export function openRegularFileSync(path: string, options: SafeOpenOptions = {}): { fd: number; stats: Stats } {
  const what = options.what ?? 'file'
  let before: Stats
  try {
    before = statSync(path)
  } catch (e) {
    throw openFailure(path, e, what)
  }
  if (!before.isFile()) throw notRegular(path, before, what)
  let fd: number
  try {
    fd = openSync(path, OPEN_FLAGS)
  } catch (e) {
    throw openFailure(path, e, what)
  }
  const stats = fstatSync(fd)
  if (!stats.isFile()) {
    closeSync(fd)
    throw notRegular(path, stats, what)
  }
  return { fd, stats }
}

/** Check (without opening) that a path is a regular file; for callers that hand the path to a library. */
export async function assertRegularFile(path: string, options: SafeOpenOptions = {}): Promise<Stats> {
  const what = options.what ?? 'file'
  const st = await stat(path).catch((e: unknown) => {
    throw openFailure(path, e, what)
  })
  if (!st.isFile()) throw notRegular(path, st, what)
  return st
}

const CHUNK = 1 << 20

/**
 * Read a whole regular file with a size cap, in chunks on libuv's thread pool (never blocking the event loop).
 * The cap holds even where stat reports size 0 (/proc) or the file grows while read.
 */
export async function readRegularFile(path: string, options: SafeReadOptions): Promise<Buffer> {
  const what = options.what ?? 'file'
  const { handle, stats } = await openRegularFile(path, options)
  try {
    if (stats.size > options.maxBytes) throw tooLarge(path, options.maxBytes, what)
    const chunks: Buffer[] = []
    let total = 0
    for (;;) {
      const buf = Buffer.allocUnsafe(Math.min(CHUNK, options.maxBytes + 1 - total))
      const { bytesRead } = await handle.read(buf, 0, buf.length, null)
      if (bytesRead === 0) break
      total += bytesRead
      if (total > options.maxBytes) throw tooLarge(path, options.maxBytes, what)
      chunks.push(buf.subarray(0, bytesRead))
    }
    return Buffer.concat(chunks, total)
  } finally {
    await handle.close()
  }
}

/** Synchronous twin of readRegularFile (blocks the calling thread: use it off a door's event loop). */
export function readRegularFileSync(path: string, options: SafeReadOptions): Buffer {
  const what = options.what ?? 'file'
  const { fd, stats } = openRegularFileSync(path, options)
  try {
    if (stats.size > options.maxBytes) throw tooLarge(path, options.maxBytes, what)
    const chunks: Buffer[] = []
    let total = 0
    for (;;) {
      const buf = Buffer.allocUnsafe(Math.min(CHUNK, options.maxBytes + 1 - total))
      const bytesRead = readSync(fd, buf, 0, buf.length, null)
      if (bytesRead === 0) break
      total += bytesRead
      if (total > options.maxBytes) throw tooLarge(path, options.maxBytes, what)
      chunks.push(buf.subarray(0, bytesRead))
    }
    return Buffer.concat(chunks, total)
  } finally {
    closeSync(fd)
  }
}

/**
 * Describe a JSON.parse failure without its text: V8's messages quote the input ("Unexpected token 'r', "root:x:0…"
 * is not valid JSON"), which would echo an arbitrary file's content. Keeps only the position when there is one.
 */
export function describeJsonError(e: unknown): string {
  const message = e instanceof Error ? e.message : ''
  if (/Unexpected end of JSON input/.test(message)) return 'not valid JSON (it ends early)'
  const at = /position (\d+)/.exec(message)
  return at ? `not valid JSON (error at byte ${at[1]})` : 'not valid JSON'
}
