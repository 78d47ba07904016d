// A synthetic DICOM WSI series: one VOLUME instance per pyramid level (JPEG frames; TILED_FULL, or TILED_SPARSE
// with frames shuffled and per-frame positions) plus a LABEL instance, written into a folder.
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { completeJpeg } from '../codecs/jpeg'
import { writeDicomInstance } from './dicom-writer'
import { encodeJpegTiles } from './encode'
import { seededRandom } from './texture'
import type { RgbRaster } from './texture'

export interface DicomSeriesOptions {
  tileSize: number
  quality: number
  mpp: number
  seed: number
  sparse: boolean
}

/** Deterministic UIDs under a fixed test root, derived from the seed. */
const uid = (seed: number, kind: number, n = 0): string => `1.2.826.0.1.3680043.10.1455.${seed >>> 0}.${kind}.${n}`

export async function writeDicomSeries(dir: string, levels: RgbRaster[], label: RgbRaster, o: DicomSeriesOptions): Promise<string[]> {
  mkdirSync(dir, { recursive: true })
  const rand = seededRandom(o.seed ^ 0x1234)
  const common = { studyUid: uid(o.seed, 1), seriesUid: uid(o.seed, 2), frameOfReferenceUid: uid(o.seed, 3) }
  for (let i = 0; i < levels.length; i++) {
    const l = levels[i]!
    const enc = await encodeJpegTiles(l, o.tileSize, o.tileSize, o.quality)
    let frames = enc.tiles.map((t) => completeJpeg(t, enc.jpegTables ?? null, false))
    const across = Math.ceil(l.width / o.tileSize)
    let positions: [number, number][] | undefined
    if (o.sparse) {
      const order = frames.map((_, k) => k)
      for (let k = order.length - 1; k > 0; k--) {
        const j = Math.floor(rand() * (k + 1))
        ;[order[k], order[j]] = [order[j]!, order[k]!]
      }
      frames = order.map((k) => frames[k]!)
      positions = order.map((k) => [(k % across) * o.tileSize + 1, Math.floor(k / across) * o.tileSize + 1])
    }
    writeDicomInstance({
      ...common,
      path: join(dir, `level-${i}.dcm`),
      instanceUid: uid(o.seed, 4, i),
      instanceNumber: i + 1,
      imageType: i === 0 ? 'ORIGINAL\\PRIMARY\\VOLUME\\NONE' : 'DERIVED\\PRIMARY\\VOLUME\\RESAMPLED',
      totalWidth: l.width,
      totalHeight: l.height,
      tileWidth: o.tileSize,
      tileHeight: o.tileSize,
      frames,
      ...(positions ? { positions } : {}),
      mpp: (o.mpp * levels[0]!.width) / l.width
    })
  }
  const lab = await encodeJpegTiles(label, label.width, label.height, 90)
  writeDicomInstance({
    ...common,
    path: join(dir, 'label.dcm'),
    instanceUid: uid(o.seed, 5),
    instanceNumber: levels.length + 1,
    imageType: 'ORIGINAL\\PRIMARY\\LABEL\\NONE',
    totalWidth: label.width,
    totalHeight: label.height,
    tileWidth: label.width,
    tileHeight: label.height,
    frames: lab.tiles.map((t) => completeJpeg(t, lab.jpegTables ?? null, false)),
    mpp: o.mpp
  })
  return ['label']
}
