// Bounds-checked positional reads from a file; every read is checked against the file size before allocating,
// so corrupt offsets/lengths become a SlideError instead of a huge Buffer or a short read.
import type { FileHandle } from 'node:fs/promises'
import { openRegularFile, SafeOpenError } from '../../core/safe-open'
import { LIMITS, SlideError } from '../slide-source'

export class RandomAccessFile {
  private constructor(
    readonly path: string,
    private readonly handle: FileHandle,
    readonly size: number
  ) {}

  /** Regular files only, checked before the open can block (a FIFO would hang it): see core/safe-open. */
  static async open(path: string): Promise<RandomAccessFile> {
    try {
      const { handle, stats } = await openRegularFile(path, { what: 'slide file' })
      return new RandomAccessFile(path, handle, stats.size)
    } catch (e) {
      if (!(e instanceof SafeOpenError)) throw e
      const problem = e.message.slice(path.length + 2)
      throw new SlideError(path, e.problem === 'not_found' ? 'file not found' : problem, e.problem === 'not_found' ? 'not_found' : e.problem === 'not_regular' ? 'unsupported' : 'corrupt')
    }
  }

  /** Read exactly `length` bytes at `offset`; `what` names the structure for the error message. */
  async read(offset: number, length: number, what: string, maxBytes: number = LIMITS.maxMetadataBytes): Promise<Buffer> {
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0) {
      throw new SlideError(this.path, `${what}: invalid offset/length ${offset}/${length}`)
    }
    if (length > maxBytes) throw new SlideError(this.path, `${what}: ${length} bytes exceeds the ${maxBytes}-byte cap`, 'too_large')
    if (offset + length > this.size) {
      throw new SlideError(this.path, `${what}: bytes ${offset}..${offset + length} lie beyond the end of the file (${this.size} bytes; truncated?)`)
    }
    const buf = Buffer.allocUnsafe(length)
    let done = 0
    while (done < length) {
      const { bytesRead } = await this.handle.read(buf, done, length - done, offset + done)
      if (bytesRead === 0) throw new SlideError(this.path, `${what}: unexpected end of file at ${offset + done}`)
      done += bytesRead
    }
    return buf
  }

  /** Read up to `length` bytes (fewer at end of file); for format sniffing. */
  async readUpTo(offset: number, length: number): Promise<Buffer> {
    const n = Math.max(0, Math.min(length, this.size - offset))
    return n === 0 ? Buffer.alloc(0) : this.read(offset, n, 'header')
  }

  async close(): Promise<void> {
    await this.handle.close()
  }
}
