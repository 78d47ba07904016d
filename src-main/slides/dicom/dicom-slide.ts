// SlideSource over a DICOM WSI series (one instance per level; folder or list of .dcm files): VOLUME instances
// become levels (largest first), LABEL / OVERVIEW / THUMBNAIL become associated images. Frames are read
// positionally and decoded like TIFF tiles (JPEG via sharp, JPEG 2000 via wasm OpenJPEG, uncompressed).
import { decodeAperioJ2k } from '../codecs/j2k'
import { completeJpeg, decodeJpeg } from '../codecs/jpeg'
import { checkDeclaredSize, j2kDeclaredSize, jpegDeclaredSize } from '../codecs/declared-size'
import { RandomAccessFile } from '../io/random-access-file'
import { checkRegionArgs, readGridRegion, throwIfAborted } from '../region'
import type { TileGrid } from '../region'
import type { RgbaImage, SlideMetadata, SlideSource } from '../slide-source'
import { SlideError } from '../slide-source'
import { sharedTileCache } from '../tile-cache'
import type { DecodedTile } from '../tile-cache'
import { toRgba } from '../tiff/chunk-decoder'
import { readDicomInstance, TS, WSI_SOP_CLASS_UID } from './dicom-instance'
import type { DicomInstance } from './dicom-instance'

let nextId = 1

interface Level {
  inst: DicomInstance
  file: RandomAccessFile
}

async function decodeFrame(level: Level, index: number): Promise<DecodedTile> {
  const { inst, file } = level
  const f = inst.frames[index]
  const w = inst.tileWidth
  const h = inst.tileHeight
  if (!f) return { rgba: new Uint8Array(0), width: 0, height: 0 } // TILED_SPARSE hole: stays transparent
  const bytes = await file.read(f.offset, f.length, `DICOM frame ${index}`, 64 * 1024 * 1024)
  try {
    let data: Uint8Array
    let channels: number
    let width: number
    let height: number
    if (inst.transferSyntax === TS.jpegBaseline) {
      const jpeg = completeJpeg(bytes, null, inst.photometric === 'RGB')
      checkDeclaredSize('JPEG', jpegDeclaredSize(jpeg), w, h, h, `DICOM frame ${index}`)
      const d = await decodeJpeg(jpeg, true)
      ;({ data, channels, width, height } = d)
    } else if (inst.transferSyntax === TS.j2k || inst.transferSyntax === TS.j2kLossless) {
      checkDeclaredSize('JPEG 2000', j2kDeclaredSize(bytes), w, h, h, `DICOM frame ${index}`)
      const d = await decodeAperioJ2k(bytes, 33005)
      ;({ data, channels, width, height } = d)
    } else {
      data = bytes
      channels = inst.samplesPerPixel
      width = w
      height = h
    }
    if (width !== w || height !== h) throw new Error(`frame is ${width}x${height}, expected ${w}x${h}`)
    return { rgba: channels === 4 ? data : toRgba(data, w * h, channels), width, height }
  } catch (e) {
    throw new SlideError(file.path, `DICOM frame ${index}: cannot decode (${e instanceof Error ? e.message : String(e)})`)
  }
}

export class DicomSlide implements SlideSource {
  private readonly grids: TileGrid[]
  private readonly prefix = `dicom${nextId++}:`

  private constructor(
    readonly path: string,
    readonly metadata: SlideMetadata,
    private readonly levels: Level[],
    private readonly associated: Map<string, Level>,
    private readonly others: RandomAccessFile[]
  ) {
    this.grids = levels.map((l, i) => ({
      width: l.inst.totalWidth,
      height: l.inst.totalHeight,
      tileWidth: l.inst.tileWidth,
      tileHeight: l.inst.tileHeight,
      downsample: metadata.levels[i]!.downsample,
      tile: (col, row) => sharedTileCache.get(`${this.prefix}${i}:${row * l.inst.across + col}`, () => decodeFrame(l, row * l.inst.across + col))
    }))
  }

  /**
   * Open a series from its instance files; `displayPath` (folder or file) names the slide in messages.
   * `seriesOf`: pick the series of this file (else the series holding the largest VOLUME instance).
   */
  static async open(files: string[], displayPath: string, seriesOf?: string): Promise<DicomSlide> {
    const opened: Level[] = []
    try {
      // the primary file first: its errors are the slide's errors; unreadable siblings are skipped
      const ordered = seriesOf ? [seriesOf, ...files.filter((f) => f !== seriesOf)] : files
      for (const f of ordered) {
        const file = await RandomAccessFile.open(f)
        try {
          opened.push({ file, inst: await readDicomInstance(file) })
        } catch (e) {
          await file.close()
          if (!seriesOf || f === seriesOf) throw e
        }
      }
      const wsi = opened.filter((l) => l.inst.sopClassUid === WSI_SOP_CLASS_UID)
      if (!wsi.length) throw new SlideError(displayPath, 'no VL Whole Slide Microscopy instance (SOP class 1.2.840.10008.5.1.4.1.1.77.1.6) found', 'unsupported')
      const volumes = wsi.filter((l) => l.inst.imageType[2] === 'VOLUME' || l.inst.imageType[2] === undefined)
      if (!volumes.length) throw new SlideError(displayPath, 'DICOM series has no VOLUME instance', 'unsupported')
      volumes.sort((a, b) => b.inst.totalWidth - a.inst.totalWidth)
      const series = opened.find((l) => l.file.path === seriesOf)?.inst.seriesUid ?? volumes[0]!.inst.seriesUid
      const levels = volumes.filter((l) => l.inst.seriesUid === series)
      for (let i = 1; i < levels.length; i++) {
        if (levels[i]!.inst.totalWidth === levels[i - 1]!.inst.totalWidth) {
          throw new SlideError(displayPath, `two instances for the same level (${levels[i]!.inst.totalWidth} px wide): ${levels[i - 1]!.file.path}, ${levels[i]!.file.path}`)
        }
      }
      const associated = new Map<string, Level>()
      const names: Record<string, string> = { LABEL: 'label', OVERVIEW: 'macro', THUMBNAIL: 'thumbnail' }
      for (const l of wsi) {
        const name = names[l.inst.imageType[2] ?? '']
        if (name && l.inst.seriesUid === series && !associated.has(name)) associated.set(name, l)
      }
      const used = new Set([...levels, ...associated.values()])
      const others = opened.filter((l) => !used.has(l)).map((l) => l.file)
      return new DicomSlide(displayPath, DicomSlide.metadataOf(levels, associated), levels, associated, others)
    } catch (e) {
      await Promise.all(opened.map((l) => l.file.close().catch(() => undefined)))
      throw e
    }
  }

  private static metadataOf(levels: Level[], associated: Map<string, Level>): SlideMetadata {
    const l0 = levels[0]!.inst
    const props: Record<string, string> = { 'openslide.vendor': 'dicom', 'openslide.level-count': String(levels.length) }
    const lv = levels.map(({ inst }, i) => {
      const downsample = (l0.totalWidth / inst.totalWidth + l0.totalHeight / inst.totalHeight) / 2
      props[`openslide.level[${i}].width`] = String(inst.totalWidth)
      props[`openslide.level[${i}].height`] = String(inst.totalHeight)
      props[`openslide.level[${i}].downsample`] = String(downsample)
      return { width: inst.totalWidth, height: inst.totalHeight, downsample, tileWidth: inst.tileWidth, tileHeight: inst.tileHeight }
    })
    if (l0.mppX !== null) props['openslide.mpp-x'] = String(l0.mppX)
    if (l0.mppY !== null) props['openslide.mpp-y'] = String(l0.mppY)
    if (l0.objectivePower !== null) props['openslide.objective-power'] = String(l0.objectivePower)
    if (l0.manufacturer) props['dicom.Manufacturer'] = l0.manufacturer
    props['dicom.TransferSyntaxUID'] = l0.transferSyntax
    return {
      vendor: 'dicom',
      reader: 'dicom',
      width: l0.totalWidth,
      height: l0.totalHeight,
      levels: lv,
      mppX: l0.mppX,
      mppY: l0.mppY,
      objectivePower: l0.objectivePower,
      properties: props,
      associatedImages: [...associated.keys()].sort()
    }
  }

  async readRegion(x: number, y: number, level: number, width: number, height: number, signal?: AbortSignal): Promise<RgbaImage> {
    checkRegionArgs(this.path, x, y, level, width, height, this.grids.length)
    throwIfAborted(this.path, signal)
    return readGridRegion(this.path, this.grids[level]!, x, y, width, height, signal)
  }

  async readAssociatedImage(name: string): Promise<RgbaImage> {
    const l = this.associated.get(name)
    if (!l) throw new SlideError(this.path, `no associated image "${name}"`, 'not_found')
    const { totalWidth: w, totalHeight: h } = l.inst
    const grid: TileGrid = {
      width: w,
      height: h,
      tileWidth: l.inst.tileWidth,
      tileHeight: l.inst.tileHeight,
      downsample: 1,
      tile: (col, row) => decodeFrame(l, row * l.inst.across + col)
    }
    return readGridRegion(this.path, grid, 0, 0, w, h)
  }

  async close(): Promise<void> {
    sharedTileCache.evictPrefix(this.prefix)
    const files = [...this.levels.map((l) => l.file), ...[...this.associated.values()].map((l) => l.file), ...this.others]
    await Promise.all([...new Set(files)].map((f) => f.close().catch(() => undefined)))
  }
}
