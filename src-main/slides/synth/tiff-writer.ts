// Low-level TIFF / BigTIFF writer for pre-encoded tiles or strips (JPEG, JPEG 2000, raw), with SubIFDs and
// arbitrary extra tags. Streams chunks to disk (positional patching), so memory stays at one chunk + the IFD.
import { closeSync, openSync, writeSync } from 'node:fs'
import { TIFF_TAG } from '../tiff/tags'

export const TAG = TIFF_TAG

/** TIFF field types used here. */
export const TYPE = { BYTE: 1, ASCII: 2, SHORT: 3, LONG: 4, RATIONAL: 5, UNDEFINED: 7, LONG8: 16, IFD8: 18 } as const

export interface ExtraTag {
  tag: number
  type: number
  /** numbers for numeric types (RATIONAL: pairs numerator, denominator), bytes for BYTE/UNDEFINED, a string for ASCII */
  value: number[] | Uint8Array | string
}

export interface TiffImageSpec {
  width: number
  height: number
  /** tiles in row-major order (tiled) or strips top to bottom (stripped); already compressed */
  chunks: Iterable<Uint8Array>
  layout: { kind: 'tiles'; tileWidth: number; tileHeight: number } | { kind: 'strips'; rowsPerStrip: number }
  /** 1 none, 7 JPEG, 8 deflate, 33003 Aperio J2K YCbCr, 33005 Aperio J2K RGB */
  compression: number
  /** 2 RGB, 6 YCbCr */
  photometric: number
  samplesPerPixel?: number
  jpegTables?: Uint8Array
  ycbcrSubsampling?: [number, number]
  description?: string
  software?: string
  make?: string
  newSubfileType?: number
  /** pixels per centimetre (ResolutionUnit = 3), e.g. 10000 / mpp */
  pixelsPerCm?: { x: number; y: number }
  subIfds?: TiffImageSpec[]
  extraTags?: ExtraTag[]
}

class Out {
  pos = 0
  constructor(readonly fd: number) {}
  write(bytes: Uint8Array): number {
    const at = this.pos
    let done = 0
    while (done < bytes.length) done += writeSync(this.fd, bytes, done, bytes.length - done, at + done)
    this.pos += bytes.length
    return at
  }
  patch(at: number, bytes: Uint8Array): void {
    writeSync(this.fd, bytes, 0, bytes.length, at)
  }
  align(): void {
    if (this.pos % 2) this.write(new Uint8Array(1))
  }
}

const TYPE_SIZE: Record<number, number> = { 1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 7: 1, 16: 8, 18: 8 }

function encodeValues(type: number, value: number[] | Uint8Array | string): { bytes: Uint8Array; count: number } {
  if (typeof value === 'string') {
    const b = Buffer.from(value + '\0', 'utf8')
    return { bytes: b, count: b.length }
  }
  if (value instanceof Uint8Array) return { bytes: value, count: value.length }
  const size = TYPE_SIZE[type]
  if (!size) throw new Error(`tiff-writer: unsupported field type ${type}`)
  const count = type === TYPE.RATIONAL ? value.length / 2 : value.length
  const buf = Buffer.alloc(value.length * (type === TYPE.RATIONAL ? 4 : size))
  value.forEach((v, i) => {
    if (type === TYPE.SHORT) buf.writeUInt16LE(v, i * 2)
    else if (type === TYPE.LONG || type === TYPE.RATIONAL) buf.writeUInt32LE(v, i * 4)
    else if (type === TYPE.LONG8 || type === TYPE.IFD8) buf.writeBigUInt64LE(BigInt(v), i * 8)
    else buf.writeUInt8(v, i)
  })
  return { bytes: buf, count }
}

/** Rational approximation with 32-bit numerator/denominator. */
function rational(v: number): [number, number] {
  const den = 10000
  return [Math.round(v * den), den]
}

/** Write one IFD (entries + overflow values); returns [offset of the IFD, offset of its next-IFD pointer]. */
function writeIfd(out: Out, big: boolean, tags: ExtraTag[]): [number, number] {
  const sorted = [...tags].sort((a, b) => a.tag - b.tag)
  const inline = big ? 8 : 4
  const encoded = sorted.map((t) => ({ t, ...encodeValues(t.type, t.value) }))
  // overflow values first, then the IFD itself
  const where = encoded.map((e) => (e.bytes.length > inline ? (out.align(), out.write(e.bytes)) : -1))
  out.align()
  const entrySize = big ? 20 : 12
  const head = big ? 8 : 2
  const ifd = Buffer.alloc(head + encoded.length * entrySize + inline)
  if (big) ifd.writeBigUInt64LE(BigInt(encoded.length), 0)
  else ifd.writeUInt16LE(encoded.length, 0)
  encoded.forEach((e, i) => {
    const o = head + i * entrySize
    ifd.writeUInt16LE(e.t.tag, o)
    ifd.writeUInt16LE(e.t.type, o + 2)
    if (big) ifd.writeBigUInt64LE(BigInt(e.count), o + 4)
    else ifd.writeUInt32LE(e.count, o + 4)
    const valueAt = o + (big ? 12 : 8)
    if (where[i]! >= 0) {
      if (big) ifd.writeBigUInt64LE(BigInt(where[i]!), valueAt)
      else ifd.writeUInt32LE(where[i]!, valueAt)
    } else Buffer.from(e.bytes).copy(ifd, valueAt)
  })
  const at = out.write(ifd)
  return [at, at + ifd.length - inline]
}

function writeImage(out: Out, big: boolean, spec: TiffImageSpec): [number, number] {
  const offsets: number[] = []
  const counts: number[] = []
  for (const chunk of spec.chunks) {
    offsets.push(out.write(chunk))
    counts.push(chunk.length)
  }
  if (!big && out.pos > 0xffffffff) throw new Error('tiff-writer: file exceeds 4 GiB; use bigtiff')
  const expected =
    spec.layout.kind === 'tiles'
      ? Math.ceil(spec.width / spec.layout.tileWidth) * Math.ceil(spec.height / spec.layout.tileHeight)
      : Math.ceil(spec.height / spec.layout.rowsPerStrip)
  if (offsets.length !== expected) throw new Error(`tiff-writer: ${offsets.length} chunks given, ${expected} expected for ${spec.width}x${spec.height}`)
  const subOffsets = (spec.subIfds ?? []).map((s) => writeImage(out, big, s)[0])
  const spp = spec.samplesPerPixel ?? 3
  const offType = big ? TYPE.LONG8 : TYPE.LONG
  const tags: ExtraTag[] = [
    { tag: TAG.NewSubfileType, type: TYPE.LONG, value: [spec.newSubfileType ?? 0] },
    { tag: TAG.ImageWidth, type: TYPE.LONG, value: [spec.width] },
    { tag: TAG.ImageLength, type: TYPE.LONG, value: [spec.height] },
    { tag: TAG.BitsPerSample, type: TYPE.SHORT, value: Array(spp).fill(8) },
    { tag: TAG.Compression, type: TYPE.SHORT, value: [spec.compression] },
    { tag: TAG.Photometric, type: TYPE.SHORT, value: [spec.photometric] },
    { tag: TAG.SamplesPerPixel, type: TYPE.SHORT, value: [spp] },
    { tag: TAG.PlanarConfiguration, type: TYPE.SHORT, value: [1] }
  ]
  if (spec.layout.kind === 'tiles') {
    tags.push(
      { tag: TAG.TileWidth, type: TYPE.LONG, value: [spec.layout.tileWidth] },
      { tag: TAG.TileLength, type: TYPE.LONG, value: [spec.layout.tileHeight] },
      { tag: TAG.TileOffsets, type: offType, value: offsets },
      { tag: TAG.TileByteCounts, type: offType, value: counts }
    )
  } else {
    tags.push(
      { tag: TAG.RowsPerStrip, type: TYPE.LONG, value: [spec.layout.rowsPerStrip] },
      { tag: TAG.StripOffsets, type: offType, value: offsets },
      { tag: TAG.StripByteCounts, type: offType, value: counts }
    )
  }
  if (spec.description !== undefined) tags.push({ tag: TAG.ImageDescription, type: TYPE.ASCII, value: spec.description })
  if (spec.software !== undefined) tags.push({ tag: TAG.Software, type: TYPE.ASCII, value: spec.software })
  if (spec.make !== undefined) tags.push({ tag: TAG.Make, type: TYPE.ASCII, value: spec.make })
  if (spec.jpegTables) tags.push({ tag: TAG.JPEGTables, type: TYPE.UNDEFINED, value: spec.jpegTables })
  if (spec.ycbcrSubsampling) tags.push({ tag: TAG.YCbCrSubSampling, type: TYPE.SHORT, value: spec.ycbcrSubsampling })
  if (spec.pixelsPerCm) {
    tags.push(
      { tag: TAG.XResolution, type: TYPE.RATIONAL, value: rational(spec.pixelsPerCm.x) },
      { tag: TAG.YResolution, type: TYPE.RATIONAL, value: rational(spec.pixelsPerCm.y) },
      { tag: TAG.ResolutionUnit, type: TYPE.SHORT, value: [3] }
    )
  }
  if (subOffsets.length) tags.push({ tag: TAG.SubIFDs, type: big ? TYPE.IFD8 : TYPE.LONG, value: subOffsets })
  for (const extra of spec.extraTags ?? []) {
    const i = tags.findIndex((t) => t.tag === extra.tag)
    if (i >= 0) tags[i] = extra
    else tags.push(extra)
  }
  return writeIfd(out, big, tags)
}

/**
 * Write `images` as the top-level IFD chain of a TIFF (classic, or BigTIFF when `bigtiff`). Each image may carry
 * SubIFDs (OME-TIFF pyramids). Little-endian. Chunks are consumed lazily, so generators can encode on the fly.
 */
export function writeTiff(path: string, images: TiffImageSpec[], options: { bigtiff?: boolean } = {}): void {
  const big = options.bigtiff ?? false
  const fd = openSync(path, 'w')
  try {
    const out = new Out(fd)
    const header = Buffer.alloc(big ? 16 : 8)
    header.write('II', 0, 'latin1')
    if (big) {
      header.writeUInt16LE(43, 2)
      header.writeUInt16LE(8, 4)
      header.writeUInt16LE(0, 6)
    } else header.writeUInt16LE(42, 2)
    out.write(header)
    let previousNext = big ? 8 : 4
    for (const image of images) {
      const [ifdAt, nextAt] = writeImage(out, big, image)
      const ptr = Buffer.alloc(big ? 8 : 4)
      if (big) ptr.writeBigUInt64LE(BigInt(ifdAt))
      else ptr.writeUInt32LE(ifdAt)
      out.patch(previousNext, ptr)
      previousNext = nextAt
    }
  } finally {
    closeSync(fd)
  }
}
