// Parse one DICOM WSI instance (dicom-parser, whole file in memory only while parsing) into what the reader needs:
// image type, pixel matrix and tile sizes, spacing, transfer syntax and each frame's (file offset, length, col, row).
// Frame positions: TILED_FULL → row-major; otherwise PerFrameFunctionalGroupsSequence → PlanePositionSlideSequence.
import dicomParser from 'dicom-parser'
import type { DataSet } from 'dicom-parser'
import type { RandomAccessFile } from '../io/random-access-file'
import { LIMITS, SlideError } from '../slide-source'

/** dicom-parser needs the whole file in memory: refuse beyond this (larger files: OpenSlide ≥ 4). */
export const MAX_DICOM_FILE_BYTES = 2 * 1024 * 1024 * 1024 - 1
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

export async function readDicomInstance(file: RandomAccessFile): Promise<DicomInstance> {
  const path = file.path
  if (file.size > MAX_DICOM_FILE_BYTES) throw new SlideError(path, `DICOM instance is ${file.size} bytes; over the 2 GiB in-memory parse cap (use OpenSlide ≥ 4)`, 'too_large')
  const bytes = await file.read(0, file.size, 'DICOM file', MAX_DICOM_FILE_BYTES)
  let ds: DataSet
  try {
    ds = dicomParser.parseDicom(bytes)
  } catch (e) {
    const msg = e instanceof Error ? e.message : typeof e === 'object' && e && 'exception' in e ? String((e as { exception: unknown }).exception) : String(e)
    throw new SlideError(path, `not a readable DICOM file (${msg})`)
  }
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
  const pixel = ds.elements['x7fe00010']
  if (!pixel) throw new SlideError(path, 'DICOM instance has no pixel data')
  const locations: { offset: number; length: number }[] = []
  if (pixel.encapsulatedPixelData) {
    const fragments = pixel.fragments ?? []
    if (fragments.length === nFrames) for (const f of fragments) locations.push({ offset: f.position, length: f.length })
    else {
      const bot = pixel.basicOffsetTable ?? []
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
