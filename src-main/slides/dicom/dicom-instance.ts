// Parse one DICOM WSI instance into what the reader needs (dicom-parser on the header only: growing prefixes up to the
// pixel data element; the encapsulated pixel data's item headers are then read by range, never the frames themselves):
// image type, pixel matrix and tile sizes, spacing, transfer syntax and each frame's (file offset, length, col, row).
// Frame positions: TILED_FULL → row-major; otherwise PerFrameFunctionalGroupsSequence → PlanePositionSlideSequence.
import dicomParser from 'dicom-parser'
import type { DataSet } from 'dicom-parser'
import type { RandomAccessFile } from '../io/random-access-file'
import { LIMITS, SlideError } from '../slide-source'

/** The header (everything before the pixel data, per-frame groups included) is parsed in memory: refused beyond this. */
export const MAX_DICOM_HEADER_BYTES = 256 * 1024 * 1024
/** First prefix read for the header; grown ×4 until it holds the pixel data element's header. */
const FIRST_PREFIX_BYTES = 1 << 20
const PIXEL_DATA = 'x7fe00010'
const MAX_FRAMES = 1 << 22

export const WSI_SOP_CLASS_UID = '1.2.840.10008.5.1.4.1.1.77.1.6'

export const TS = {
  jpegBaseline: '1.2.840.10008.1.2.4.50',
  j2kLossless: '1.2.840.10008.1.2.4.90',
  j2k: '1.2.840.10008.1.2.4.91',
  explicitLE: '1.2.840.10008.1.2.1',
  implicitLE: '1.2.840.10008.1.2'
} as const
const SUPPORTED_TS = new Set<string>(Object.values(TS))

export interface DicomFrame {
  offset: number
  length: number
  col: number
  row: number
}

export interface DicomInstance {
  path: string
  sopClassUid: string
  seriesUid: string
  imageType: string[]
  transferSyntax: string
  photometric: string
  samplesPerPixel: number
  totalWidth: number
  totalHeight: number
  tileWidth: number
  tileHeight: number
  across: number
  down: number
  /** frame per tile index (row * across + col); null where TILED_SPARSE has no frame */
  frames: (DicomFrame | null)[]
  /** µm per pixel (x = column spacing, y = row spacing), null when absent */
  mppX: number | null
  mppY: number | null
  objectivePower: number | null
  manufacturer: string | null
}

function nested(ds: DataSet, ...tags: string[]): DataSet | undefined {
  let cur: DataSet | undefined = ds
  for (const t of tags) cur = cur?.elements[t]?.items?.[0]?.dataSet
  return cur
}

function parseFailure(path: string, e: unknown): SlideError {
  const msg = e instanceof Error ? e.message : typeof e === 'object' && e && 'exception' in e ? String((e as { exception: unknown }).exception) : String(e)
  return new SlideError(path, `not a readable DICOM file (${msg})`)
}

/** Parses the data set up to (and including the header of) the pixel data element, reading growing prefixes. */
async function readHeader(file: RandomAccessFile): Promise<DataSet> {
  let n = Math.min(file.size, FIRST_PREFIX_BYTES)
  for (;;) {
    const bytes = await file.read(0, n, 'DICOM header', MAX_DICOM_HEADER_BYTES)
    let ds: DataSet | null = null
    let failure: unknown = null
    try {
      ds = dicomParser.parseDicom(bytes, { untilTag: PIXEL_DATA })
    } catch (e) {
      failure = e
    }
    if (ds?.elements[PIXEL_DATA]) return ds
    if (n >= file.size) {
      if (ds) return ds
      throw parseFailure(file.path, failure)
    }
    if (n >= MAX_DICOM_HEADER_BYTES) throw new SlideError(file.path, `DICOM header before the pixel data is over ${MAX_DICOM_HEADER_BYTES} bytes`, 'too_large')
    n = Math.min(file.size, n * 4, MAX_DICOM_HEADER_BYTES)
  }
}

const ITEM = 0xe000fffe // (FFFE,E000) read as one little-endian uint32: group then element
const SEQUENCE_END = 0xe0ddfffe

/**
 * Walks encapsulated pixel data from `start` (after the element header) by reading 8-byte item headers only: the
 * Basic Offset Table, then each fragment's file position and length. Offsets are relative to the first fragment's
 * item tag, as the BOT's are. Cost: one small read per fragment whose header lies outside the last 4 KiB window.
 */
async function readPixelItems(file: RandomAccessFile, start: number, maxFragments: number): Promise<{ bot: number[]; fragments: { offset: number; position: number; length: number }[] }> {
  let window: Buffer = Buffer.alloc(0)
  let windowStart = 0
  const header = async (pos: number): Promise<{ tag: number; length: number }> => {
    if (pos < windowStart || pos + 8 > windowStart + window.length) {
      window = await file.readUpTo(pos, 4096)
      windowStart = pos
      if (window.length < 8) throw new SlideError(file.path, 'DICOM pixel data ends inside an item header (truncated?)')
    }
    const o = pos - windowStart
    return { tag: window.readUInt32LE(o), length: window.readUInt32LE(o + 4) }
  }
  const first = await header(start)
  if (first.tag !== ITEM) throw new SlideError(file.path, 'DICOM encapsulated pixel data does not start with an offset table item')
  if (first.length % 4 !== 0 || first.length / 4 > maxFragments) throw new SlideError(file.path, `DICOM offset table of ${first.length} bytes is malformed or over the frame cap`)
  const table = first.length ? await file.read(start + 8, first.length, 'DICOM offset table', MAX_DICOM_HEADER_BYTES) : Buffer.alloc(0)
  const bot: number[] = []
  for (let i = 0; i < table.length; i += 4) bot.push(table.readUInt32LE(i))
  const base = start + 8 + first.length
  const fragments: { offset: number; position: number; length: number }[] = []
  for (let pos = base; ; ) {
    const it = await header(pos)
    if (it.tag === SEQUENCE_END) break
    if (it.tag !== ITEM) throw new SlideError(file.path, `DICOM pixel data: no item tag at byte ${pos}`)
    if (pos + 8 + it.length > file.size) throw new SlideError(file.path, 'DICOM frame lies beyond the end of the file (truncated?)')
    if (fragments.length >= maxFragments) throw new SlideError(file.path, `DICOM pixel data holds more than ${maxFragments} fragments`, 'too_large')
    fragments.push({ offset: pos - base, position: pos + 8, length: it.length })
    pos += 8 + it.length
  }
  return { bot, fragments }
}

export async function readDicomInstance(file: RandomAccessFile): Promise<DicomInstance> {
  const path = file.path
  const ds = await readHeader(file)
  const s = (tag: string): string | undefined => ds.string(tag)
  const transferSyntax = s('x00020010') ?? ''
  const totalWidth = ds.uint32('x00480006') ?? ds.uint16('x00280011') ?? 0
  const totalHeight = ds.uint32('x00480007') ?? ds.uint16('x00280010') ?? 0
  const tileWidth = ds.uint16('x00280011') ?? 0
  const tileHeight = ds.uint16('x00280010') ?? 0
  const nFrames = ds.intString('x00280008') ?? 1
  const spp = ds.uint16('x00280002') ?? 1
  const bits = ds.uint16('x00280100') ?? 8
  if (!(totalWidth > 0 && totalHeight > 0 && tileWidth > 0 && tileHeight > 0)) {
    throw new SlideError(path, `invalid DICOM image geometry: total ${totalWidth}x${totalHeight}, tile ${tileWidth}x${tileHeight}`)
  }
  if (totalWidth > LIMITS.maxDimension || totalHeight > LIMITS.maxDimension || tileWidth > LIMITS.maxTileEdge || tileHeight > LIMITS.maxTileEdge) {
    throw new SlideError(path, `DICOM geometry exceeds caps: total ${totalWidth}x${totalHeight}, tile ${tileWidth}x${tileHeight}`, 'too_large')
  }
  if (!(nFrames >= 1 && nFrames <= MAX_FRAMES)) throw new SlideError(path, `DICOM NumberOfFrames ${nFrames} out of range 1..${MAX_FRAMES}`)
  if (!SUPPORTED_TS.has(transferSyntax)) throw new SlideError(path, `DICOM transfer syntax ${transferSyntax || '(none)'} is not supported (JPEG baseline, JPEG 2000, uncompressed)`, 'unsupported')
  if (bits !== 8 || (spp !== 1 && spp !== 3)) throw new SlideError(path, `DICOM pixels with ${bits} bits and ${spp} samples are not supported`, 'unsupported')
  const across = Math.ceil(totalWidth / tileWidth)
  const down = Math.ceil(totalHeight / tileHeight)
  if (across * down > MAX_FRAMES) throw new SlideError(path, `DICOM tile grid ${across}x${down} exceeds the cap`, 'too_large')
  const pixel = ds.elements[PIXEL_DATA]
  if (!pixel) throw new SlideError(path, 'DICOM instance has no pixel data')
  const locations: { offset: number; length: number }[] = []
  if (pixel.hadUndefinedLength) {
    // encapsulated (JPEG / JPEG 2000): item headers read by range, frames left on disk
    const { bot, fragments } = await readPixelItems(file, pixel.dataOffset, 4 * MAX_FRAMES)
    if (fragments.length === nFrames) for (const f of fragments) locations.push({ offset: f.position, length: f.length })
    else {
      if (bot.length !== nFrames) throw new SlideError(path, `DICOM has ${fragments.length} fragments for ${nFrames} frames and no usable offset table`, 'unsupported')
      for (let i = 0; i < nFrames; i++) {
        const start = bot[i]!
        const end = i + 1 < nFrames ? bot[i + 1]! : Infinity
        const parts = fragments.filter((f) => f.offset >= start && f.offset < end)
        if (parts.length !== 1) throw new SlideError(path, `DICOM frame ${i} spans ${parts.length} fragments (not supported)`, 'unsupported')
        locations.push({ offset: parts[0]!.position, length: parts[0]!.length })
      }
    }
  } else {
    const frameBytes = tileWidth * tileHeight * spp
    if (pixel.length < frameBytes * nFrames) throw new SlideError(path, `DICOM pixel data is ${pixel.length} bytes, ${frameBytes * nFrames} expected`)
    for (let i = 0; i < nFrames; i++) locations.push({ offset: pixel.dataOffset + i * frameBytes, length: frameBytes })
  }
  for (const l of locations) {
    if (l.offset + l.length > file.size) throw new SlideError(path, 'DICOM frame lies beyond the end of the file (truncated?)')
  }
  const frames: (DicomFrame | null)[] = new Array(across * down).fill(null)
  const organisation = s('x00209311') ?? ''
  const perFrame = ds.elements['x52009230']?.items
  if (organisation !== 'TILED_FULL' && perFrame?.length) {
    if (perFrame.length !== nFrames) throw new SlideError(path, `DICOM has ${perFrame.length} per-frame groups for ${nFrames} frames`)
    perFrame.forEach((it, i) => {
      const pos = it.dataSet ? nested(it.dataSet, 'x0048021a') : undefined
      const c = pos?.int32('x0048021e')
      const r = pos?.int32('x0048021f')
      if (c === undefined || r === undefined) throw new SlideError(path, `DICOM frame ${i} has no PlanePositionSlideSequence column/row`)
      const col = (c - 1) / tileWidth
      const row = (r - 1) / tileHeight
      if (!Number.isInteger(col) || !Number.isInteger(row) || col < 0 || row < 0 || col >= across || row >= down) {
        throw new SlideError(path, `DICOM frame ${i} position (${c}, ${r}) is not on the ${tileWidth}x${tileHeight} tile grid`)
      }
      frames[row * across + col] = { ...locations[i]!, col, row }
    })
  } else {
    if (nFrames < across * down) throw new SlideError(path, `TILED_FULL instance has ${nFrames} frames for a ${across}x${down} grid`)
    for (let i = 0; i < across * down; i++) frames[i] = { ...locations[i]!, col: i % across, row: Math.floor(i / across) }
  }
  const spacing = nested(ds, 'x52009229', 'x00289110')
  const rowSpacing = spacing?.floatString('x00280030', 0) ?? ds.floatString('x00280030', 0)
  const colSpacing = spacing?.floatString('x00280030', 1) ?? ds.floatString('x00280030', 1)
  const mpp = (v: number | undefined): number | null => (v !== undefined && Number.isFinite(v) && v > 0 ? v * 1000 : null)
  const power = nested(ds, 'x00480105')?.floatString('x00480112')
  return {
    path,
    sopClassUid: s('x00080016') ?? '',
    seriesUid: s('x0020000e') ?? '',
    imageType: (s('x00080008') ?? '').split('\\').map((x) => x.trim().toUpperCase()),
    transferSyntax,
    photometric: s('x00280004') ?? '',
    samplesPerPixel: spp,
    totalWidth,
    totalHeight,
    tileWidth,
    tileHeight,
    across,
    down,
    frames,
    mppX: mpp(colSpacing),
    mppY: mpp(rowSpacing),
    objectivePower: power !== undefined && power > 0 ? power : null,
    manufacturer: s('x00080070') ?? null
  }
}
