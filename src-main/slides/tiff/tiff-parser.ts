// TIFF / BigTIFF directory (IFD) parser with caps checked before allocating: entry counts, value sizes,
// offsets inside the file, IFD loop detection (visited offsets) and a cap on the number of directories.
import type { RandomAccessFile } from '../io/random-access-file'
import { LIMITS, SlideError } from '../slide-source'

/** Field types → byte size. */
const TYPE_SIZE: Record<number, number> = { 1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8, 13: 4, 16: 8, 17: 8, 18: 8 }

export const MAX_IFDS = 4096
const MAX_ENTRIES_PER_IFD = 4096

export interface TiffEntry {
  tag: number
  type: number
  count: number
  /** absolute offset of the value bytes (inline values point inside the IFD entry) */
  valueOffset: number
  /** value bytes when they fit inline in the entry */
  inline: Buffer | null
}

export interface Ifd {
  offset: number
  entries: Map<number, TiffEntry>
  nextOffset: number
}

export class TiffParser {
  private constructor(
    readonly file: RandomAccessFile,
    readonly littleEndian: boolean,
    readonly bigTiff: boolean,
    readonly firstIfdOffset: number
  ) {}

  /** Parse the header; throws SlideError('unsupported') when the bytes are not a TIFF. */
  static async open(file: RandomAccessFile): Promise<TiffParser> {
    const h = await file.readUpTo(0, 16)
    if (h.length < 8) throw new SlideError(file.path, `file is ${file.size} bytes, too short for a TIFF header`)
    const order = h.toString('latin1', 0, 2)
    if (order !== 'II' && order !== 'MM') throw new SlideError(file.path, 'not a TIFF file (no II/MM byte-order mark)', 'unsupported')
    const le = order === 'II'
    const magic = le ? h.readUInt16LE(2) : h.readUInt16BE(2)
    if (magic === 42) return new TiffParser(file, le, false, le ? h.readUInt32LE(4) : h.readUInt32BE(4))
    if (magic === 43) {
      if (h.length < 16) throw new SlideError(file.path, 'BigTIFF header truncated')
      const offSize = le ? h.readUInt16LE(4) : h.readUInt16BE(4)
      if (offSize !== 8) throw new SlideError(file.path, `BigTIFF header declares offset size ${offSize} (must be 8)`)
      const first = le ? h.readBigUInt64LE(8) : h.readBigUInt64BE(8)
      if (first > BigInt(Number.MAX_SAFE_INTEGER)) throw new SlideError(file.path, `BigTIFF first IFD offset ${first} exceeds 2^53`)
      return new TiffParser(file, le, true, Number(first))
    }
    throw new SlideError(file.path, `not a TIFF file (version ${magic})`, 'unsupported')
  }

  private u16(b: Buffer, o: number): number {
    return this.littleEndian ? b.readUInt16LE(o) : b.readUInt16BE(o)
  }
  private u32(b: Buffer, o: number): number {
    return this.littleEndian ? b.readUInt32LE(o) : b.readUInt32BE(o)
  }
  private u64(b: Buffer, o: number): number {
    const v = this.littleEndian ? b.readBigUInt64LE(o) : b.readBigUInt64BE(o)
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new SlideError(this.file.path, `64-bit value ${v} at ${o} exceeds 2^53`)
    return Number(v)
  }

  /** Read one IFD at `offset`. */
  async readIfd(offset: number): Promise<Ifd> {
    const path = this.file.path
    if (offset === 0) throw new SlideError(path, 'first IFD offset is 0: TIFF has no image directory')
    if (offset < 0 || offset >= this.file.size) throw new SlideError(path, `IFD offset ${offset} is outside the file (${this.file.size} bytes)`)
    const big = this.bigTiff
    const countBytes = await this.file.read(offset, big ? 8 : 2, `IFD at ${offset}`)
    const n = big ? this.u64(countBytes, 0) : this.u16(countBytes, 0)
    if (n === 0 || n > MAX_ENTRIES_PER_IFD) throw new SlideError(path, `IFD at ${offset} declares ${n} entries (allowed 1..${MAX_ENTRIES_PER_IFD})`)
    const entrySize = big ? 20 : 12
    const head = big ? 8 : 2
    const bytes = await this.file.read(offset + head, n * entrySize + (big ? 8 : 4), `IFD at ${offset} (${n} entries)`)
    const entries = new Map<number, TiffEntry>()
    for (let i = 0; i < n; i++) {
      const o = i * entrySize
      const tag = this.u16(bytes, o)
      const type = this.u16(bytes, o + 2)
      const count = big ? this.u64(bytes, o + 4) : this.u32(bytes, o + 4)
      const size = TYPE_SIZE[type]
      if (!size) continue // unknown field type: TIFF readers must skip it
      const total = size * count
      const inlineSize = big ? 8 : 4
      const valueAt = o + (big ? 12 : 8)
      if (total <= inlineSize) {
        entries.set(tag, { tag, type, count, valueOffset: offset + head + valueAt, inline: bytes.subarray(valueAt, valueAt + total) })
      } else {
        const at = big ? this.u64(bytes, valueAt) : this.u32(bytes, valueAt)
        if (at + total > this.file.size) {
          throw new SlideError(path, `IFD at ${offset}: tag ${tag} values (${total} bytes at ${at}) lie beyond the end of the file (${this.file.size} bytes)`)
        }
        entries.set(tag, { tag, type, count, valueOffset: at, inline: null })
      }
    }
    const nextOffset = big ? this.u64(bytes, n * entrySize) : this.u32(bytes, n * entrySize)
    return { offset, entries, nextOffset }
  }

  /** The top-level IFD chain; detects loops and caps the number of directories. */
  async readChain(): Promise<Ifd[]> {
    const seen = new Set<number>()
    const out: Ifd[] = []
    let at = this.firstIfdOffset
    while (at !== 0) {
      if (seen.has(at)) throw new SlideError(this.file.path, `IFD loop: directory at offset ${at} is referenced twice`)
      if (out.length >= MAX_IFDS) throw new SlideError(this.file.path, `more than ${MAX_IFDS} directories`, 'too_large')
      seen.add(at)
      const ifd = await this.readIfd(at)
      out.push(ifd)
      at = ifd.nextOffset
    }
    if (!out.length) throw new SlideError(this.file.path, 'TIFF has no image directory (first IFD offset is 0)')
    return out
  }

  private async raw(e: TiffEntry, maxBytes: number): Promise<Buffer> {
    const size = TYPE_SIZE[e.type]! * e.count
    if (e.inline) return e.inline
    return this.file.read(e.valueOffset, size, `tag ${e.tag} values`, maxBytes)
  }

  /** Numeric values of a tag (integers, rationals as floats). `maxCount` caps the allocation. */
  async numbers(ifd: Ifd, tag: number, maxCount = 1 << 24): Promise<number[] | null> {
    const e = ifd.entries.get(tag)
    if (!e) return null
    if (e.count > maxCount) throw new SlideError(this.file.path, `tag ${tag} has ${e.count} values (cap ${maxCount})`, 'too_large')
    const b = await this.raw(e, LIMITS.maxMetadataBytes)
    const out: number[] = new Array(e.count)
    for (let i = 0; i < e.count; i++) {
      switch (e.type) {
        case 1:
        case 7:
          out[i] = b[i]!
          break
        case 6:
          out[i] = b.readInt8(i)
          break
        case 3:
          out[i] = this.u16(b, i * 2)
          break
        case 8:
          out[i] = this.littleEndian ? b.readInt16LE(i * 2) : b.readInt16BE(i * 2)
          break
        case 4:
        case 13:
          out[i] = this.u32(b, i * 4)
          break
        case 9:
          out[i] = this.littleEndian ? b.readInt32LE(i * 4) : b.readInt32BE(i * 4)
          break
        case 5: {
          const den = this.u32(b, i * 8 + 4)
          out[i] = den === 0 ? NaN : this.u32(b, i * 8) / den // zero denominator → NaN, callers treat as absent
          break
        }
        case 10: {
          const r = this.littleEndian ? [b.readInt32LE(i * 8), b.readInt32LE(i * 8 + 4)] : [b.readInt32BE(i * 8), b.readInt32BE(i * 8 + 4)]
          out[i] = r[1] === 0 ? NaN : r[0]! / r[1]!
          break
        }
        case 11:
          out[i] = this.littleEndian ? b.readFloatLE(i * 4) : b.readFloatBE(i * 4)
          break
        case 12:
          out[i] = this.littleEndian ? b.readDoubleLE(i * 8) : b.readDoubleBE(i * 8)
          break
        case 16:
        case 17:
        case 18:
          out[i] = this.u64(b, i * 8)
          break
        default:
          out[i] = NaN
      }
    }
    return out
  }

  async number(ifd: Ifd, tag: number): Promise<number | null> {
    const v = await this.numbers(ifd, tag, 64)
    return v?.length ? v[0]! : null
  }

  /** Raw bytes of a BYTE/UNDEFINED tag (JPEGTables, XMP). */
  async bytes(ifd: Ifd, tag: number, maxBytes = LIMITS.maxMetadataBytes): Promise<Buffer | null> {
    const e = ifd.entries.get(tag)
    return e ? Buffer.from(await this.raw(e, maxBytes)) : null
  }

  /** ASCII tag as a string (trailing NULs removed; bytes decoded as UTF-8, which OME-XML uses). */
  async string(ifd: Ifd, tag: number): Promise<string | null> {
    const e = ifd.entries.get(tag)
    if (!e) return null
    const b = await this.raw(e, LIMITS.maxMetadataBytes)
    let end = b.length
    while (end > 0 && b[end - 1] === 0) end--
    return b.toString('utf8', 0, end)
  }
}
