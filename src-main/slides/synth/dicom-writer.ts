// Minimal DICOM Part 10 writer for VL Whole Slide Microscopy instances (Explicit VR Little Endian dataset,
// JPEG Baseline frames, encapsulated pixel data). One instance per pyramid level, TILED_FULL or TILED_SPARSE
// (per-frame PlanePositionSlideSequence, frames shuffled). Also writes LABEL/OVERVIEW instances.
import { writeFileSync } from 'node:fs'

export const WSI_SOP_CLASS = '1.2.840.10008.5.1.4.1.1.77.1.6'
export const JPEG_BASELINE = '1.2.840.10008.1.2.4.50'

type Vr = 'UI' | 'CS' | 'LO' | 'SH' | 'DS' | 'IS' | 'US' | 'UL' | 'SL' | 'FL' | 'OB' | 'SQ' | 'DA' | 'TM' | 'PN' | 'LT'
const LONG_VRS = new Set(['OB', 'OW', 'SQ', 'UN', 'UT', 'UC', 'UR'])

function pad(b: Buffer, vr: Vr): Buffer {
  if (b.length % 2 === 0) return b
  return Buffer.concat([b, Buffer.from([vr === 'UI' || vr === 'OB' ? 0 : 0x20])])
}

/** One data element (explicit VR little endian). `tag` as 0xGGGGEEEE. */
export function element(tag: number, vr: Vr, value: string | number[] | Buffer): Buffer {
  let v: Buffer
  if (Buffer.isBuffer(value)) v = value
  else if (typeof value === 'string') v = Buffer.from(value, 'latin1')
  else if (vr === 'US') v = Buffer.from(Uint16Array.from(value).buffer)
  else if (vr === 'UL') v = Buffer.from(Uint32Array.from(value).buffer)
  else if (vr === 'SL') v = Buffer.from(Int32Array.from(value).buffer)
  else if (vr === 'FL') v = Buffer.from(Float32Array.from(value).buffer)
  else throw new Error(`dicom-writer: numeric value for VR ${vr}`)
  v = pad(v, vr)
  const long = LONG_VRS.has(vr)
  const head = Buffer.alloc(long ? 12 : 8)
  head.writeUInt16LE(tag >>> 16, 0)
  head.writeUInt16LE(tag & 0xffff, 2)
  head.write(vr, 4, 'latin1')
  if (long) head.writeUInt32LE(v.length, 8)
  else head.writeUInt16LE(v.length, 6)
  return Buffer.concat([head, v])
}

function item(content: Buffer): Buffer {
  const h = Buffer.alloc(8)
  h.writeUInt16LE(0xfffe, 0)
  h.writeUInt16LE(0xe000, 2)
  h.writeUInt32LE(content.length, 4)
  return Buffer.concat([h, content])
}

/** Sequence with defined length; each item is a list of already-encoded, tag-sorted elements. */
export function sequence(tag: number, items: Buffer[][]): Buffer {
  return element(tag, 'SQ', Buffer.concat(items.map((els) => item(Buffer.concat(els)))))
}

function encapsulated(frames: Uint8Array[]): Buffer {
  const head = Buffer.alloc(12)
  head.writeUInt16LE(0x7fe0, 0)
  head.writeUInt16LE(0x0010, 2)
  head.write('OB', 4, 'latin1')
  head.writeUInt32LE(0xffffffff, 8) // undefined length
  const parts: Buffer[] = [head, item(Buffer.alloc(0))] // empty basic offset table
  for (const f of frames) parts.push(item(pad(Buffer.from(f), 'OB')))
  const delim = Buffer.alloc(8)
  delim.writeUInt16LE(0xfffe, 0)
  delim.writeUInt16LE(0xe0dd, 2)
  parts.push(delim)
  return Buffer.concat(parts)
}

export interface DicomInstanceSpec {
  path: string
  studyUid: string
  seriesUid: string
  instanceUid: string
  frameOfReferenceUid: string
  instanceNumber: number
  imageType: string
  totalWidth: number
  totalHeight: number
  tileWidth: number
  tileHeight: number
  /** JPEG frames; with `positions` (TILED_SPARSE) in any order, else row-major (TILED_FULL) */
  frames: Uint8Array[]
  /** 1-based (column, row) of each frame's top-left in the total pixel matrix */
  positions?: [number, number][]
  /** µm per pixel of this instance */
  mpp: number
}

/** Write one instance. Elements are emitted in ascending tag order, as DICOM requires. */
export function writeDicomInstance(s: DicomInstanceSpec): void {
  const mm = (s.mpp / 1000).toPrecision(10).replace(/0+$/, '')
  const sharedGroups = sequence(0x52009229, [[sequence(0x00289110, [[element(0x00180050, 'DS', '0.001'), element(0x00280030, 'DS', `${mm}\\${mm}`)]])]])
  const perFrame = s.positions
    ? sequence(
        0x52009230,
        s.positions.map(([c, r]) => [sequence(0x0048021a, [[element(0x0048021e, 'SL', [c]), element(0x0048021f, 'SL', [r])]])])
      )
    : null
  const dataset = Buffer.concat([
    element(0x00080008, 'CS', s.imageType),
    element(0x00080016, 'UI', WSI_SOP_CLASS),
    element(0x00080018, 'UI', s.instanceUid),
    element(0x00080060, 'CS', 'SM'),
    element(0x00080070, 'LO', 'Tessera synthetic'),
    element(0x0020000d, 'UI', s.studyUid),
    element(0x0020000e, 'UI', s.seriesUid),
    element(0x00200013, 'IS', String(s.instanceNumber)),
    element(0x00200052, 'UI', s.frameOfReferenceUid),
    element(0x00209311, 'CS', s.positions ? 'TILED_SPARSE' : 'TILED_FULL'),
    element(0x00280002, 'US', [3]),
    element(0x00280004, 'CS', 'YBR_FULL_422'),
    element(0x00280006, 'US', [0]),
    element(0x00280008, 'IS', String(s.frames.length)),
    element(0x00280010, 'US', [s.tileHeight]),
    element(0x00280011, 'US', [s.tileWidth]),
    element(0x00280100, 'US', [8]),
    element(0x00280101, 'US', [8]),
    element(0x00280102, 'US', [7]),
    element(0x00280103, 'US', [0]),
    element(0x00480001, 'FL', [(s.totalWidth * s.mpp) / 1000]),
    element(0x00480002, 'FL', [(s.totalHeight * s.mpp) / 1000]),
    element(0x00480006, 'UL', [s.totalWidth]),
    element(0x00480007, 'UL', [s.totalHeight]),
    sharedGroups,
    ...(perFrame ? [perFrame] : []),
    encapsulated(s.frames)
  ])
  const metaBody = Buffer.concat([
    element(0x00020001, 'OB', Buffer.from([0, 1])),
    element(0x00020002, 'UI', WSI_SOP_CLASS),
    element(0x00020003, 'UI', s.instanceUid),
    element(0x00020010, 'UI', JPEG_BASELINE),
    element(0x00020012, 'UI', '1.2.826.0.1.3680043.10.1455.1')
  ])
  const meta = Buffer.concat([element(0x00020000, 'UL', [metaBody.length]), metaBody])
  const preamble = Buffer.concat([Buffer.alloc(128), Buffer.from('DICM', 'latin1')])
  writeFileSync(s.path, Buffer.concat([preamble, meta, dataset]))
}
