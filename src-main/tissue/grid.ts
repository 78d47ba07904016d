// Slide-global patch grid (TRIDENT-style): patch (col,row) has its top-left at level-0 (col·step, row·step) from (0,0),
// so neighbours line up across tissue pieces. Patches are kept by their tissue fraction from the mask.
import { createHash } from 'node:crypto'
import type { GridInfo, GridParams, GridPatch } from '../../src-shared/domain/grid'
import type { SlideMetadata } from '../slides/slide-source'
import type { TissueMask, TissueMaskParams } from './tissue-mask'
import { DOWNSAMPLE_TOLERANCE } from '../tiles/deep-zoom'
import { gridName } from './grid-name'
import { resolutionProblem } from '../../src-shared/domain/resolution'

export const GRID_ALGORITHM_VERSION = 1

export class GridError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'GridError'
  }
}

/** µm/px of level 0: the override when set, else the metadata (mean of x and y); clear error when neither exists or the file's value is implausible. */
export function level0Mpp(file: string, metadata: SlideMetadata, mppOverride: number | null): number {
  if (mppOverride !== null && mppOverride > 0) return mppOverride
  const { mppX, mppY } = metadata
  const problem = resolutionProblem(mppX, mppY, null)
  if (problem?.startsWith('resolution missing:')) {
    throw new GridError(`${file}: the slide's metadata has no microns-per-pixel; set a per-slide mpp override (slide.setMppOverride, or --mpp-override)`)
  }
  if (problem) throw new GridError(`${file}: ${problem} (slide.setMppOverride, tessera slide set-mpp, or --mpp-override)`)
  if (mppX && mppY) return (mppX + mppY) / 2
  return (mppX ?? mppY) as number
}

export function validateGridParams(p: GridParams): void {
  if (!(p.targetMpp > 0)) throw new GridError(`targetMpp must be > 0, got ${p.targetMpp}`)
  if (!Number.isInteger(p.patchSize) || p.patchSize < 8 || p.patchSize > 4096) throw new GridError(`patchSize must be an integer in 8…4096, got ${p.patchSize}`)
  if (!Number.isInteger(p.overlap) || p.overlap < 0 || p.overlap >= p.patchSize) throw new GridError(`overlap must be an integer in 0…patchSize−1, got ${p.overlap}`)
  if (!(p.minTissue >= 0 && p.minTissue <= 1)) throw new GridError(`minTissue must be in 0…1, got ${p.minTissue}`)
}

/** Geometry of the grid (no tissue yet). `contentKey` is the slide's content key; it and everything else go into `key`. */
export function gridGeometry(
  metadata: SlideMetadata,
  mpp0: number,
  params: GridParams,
  contentKey: string,
  tissueParams: TissueMaskParams
): GridInfo {
  validateGridParams(params)
  const desired = params.targetMpp / mpp0 // level-0 px per target px
  const patchSizeLevel0 = Math.max(1, Math.round(params.patchSize * desired))
  const stepLevel0 = Math.max(1, Math.round((params.patchSize - params.overlap) * desired))
  // nearest higher-resolution level: the largest downsample not above the desired one (level 0 when upsampling)
  let readLevel = 0
  metadata.levels.forEach((l, i) => {
    if (l.downsample <= desired * (1 + DOWNSAMPLE_TOLERANCE) && l.downsample >= (metadata.levels[readLevel]?.downsample ?? 1)) readLevel = i
  })
  const readDownsample = desired / (metadata.levels[readLevel]?.downsample ?? 1)
  const cols = Math.ceil(metadata.width / stepLevel0)
  const rows = Math.ceil(metadata.height / stepLevel0)
  const keyed = {
    v: GRID_ALGORITHM_VERSION,
    contentKey,
    params: { targetMpp: params.targetMpp, patchSize: params.patchSize, overlap: params.overlap, minTissue: params.minTissue },
    mpp0,
    tissue: tissueParams
  }
  const key = 'grid1-' + createHash('sha256').update(JSON.stringify(keyed)).digest('hex').slice(0, 32)
  const name = gridName(params, tissueParams)
  return { params, level0Mpp: mpp0, patchSizeLevel0, stepLevel0, readLevel, readDownsample, cols, rows, key, name, tissueMethod: tissueParams.method }
}

/** Summed-area table of the mask, (w+1)×(h+1). */
function integral(mask: TissueMask): Float64Array {
  const { width: w, height: h, data } = mask
  const s = new Float64Array((w + 1) * (h + 1))
  for (let y = 0; y < h; y++) {
    let row = 0
    for (let x = 0; x < w; x++) {
      row += data[y * w + x] ?? 0
      s[(y + 1) * (w + 1) + x + 1] = (s[y * (w + 1) + x + 1] ?? 0) + row
    }
  }
  return s
}

/**
 * Tissue fraction of every grid cell, keeping those with tissue ≥ minTissue (and > 0).
 * The fraction's denominator is the whole footprint, so parts outside the slide count as background.
 */
export function gridPatches(info: GridInfo, mask: TissueMask): GridPatch[] {
  const sat = integral(mask)
  const W = mask.width + 1
  const clampX = (v: number): number => Math.min(mask.width, Math.max(0, v))
  const clampY = (v: number): number => Math.min(mask.height, Math.max(0, v))
  const ds = mask.downsample
  const patches: GridPatch[] = []
  const P = info.patchSizeLevel0
  for (let row = 0; row < info.rows; row++) {
    for (let col = 0; col < info.cols; col++) {
      const x = col * info.stepLevel0
      const y = row * info.stepLevel0
      const mx0 = Math.round(x / ds)
      const my0 = Math.round(y / ds)
      const mx1 = Math.max(mx0 + 1, Math.round((x + P) / ds))
      const my1 = Math.max(my0 + 1, Math.round((y + P) / ds))
      const [ax0, ax1, ay0, ay1] = [clampX(mx0), clampX(mx1), clampY(my0), clampY(my1)]
      const ones =
        (sat[ay1 * W + ax1] ?? 0) - (sat[ay0 * W + ax1] ?? 0) - (sat[ay1 * W + ax0] ?? 0) + (sat[ay0 * W + ax0] ?? 0)
      const tissue = ones / ((mx1 - mx0) * (my1 - my0))
      if (tissue > 0 && tissue >= info.params.minTissue) {
        patches.push({ index: patches.length, x, y, col, row, tissue: Math.round(tissue * 1e4) / 1e4 })
      }
    }
  }
  return patches
}

/** Compact storage: Int32 x,y,col,row + Float32 tissue per patch, little-endian (20 bytes per patch). */
export function packPatches(patches: GridPatch[]): Buffer {
  const buf = Buffer.alloc(patches.length * 20)
  patches.forEach((p, i) => {
    buf.writeInt32LE(p.x, i * 20)
    buf.writeInt32LE(p.y, i * 20 + 4)
    buf.writeInt32LE(p.col, i * 20 + 8)
    buf.writeInt32LE(p.row, i * 20 + 12)
    buf.writeFloatLE(p.tissue, i * 20 + 16)
  })
  return buf
}

export function unpackPatches(buf: Buffer): GridPatch[] {
  if (buf.length % 20 !== 0) throw new Error(`stored grid patches are ${buf.length} bytes, not a multiple of 20`)
  const out: GridPatch[] = []
  for (let i = 0; i < buf.length / 20; i++) {
    out.push({
      index: i,
      x: buf.readInt32LE(i * 20),
      y: buf.readInt32LE(i * 20 + 4),
      col: buf.readInt32LE(i * 20 + 8),
      row: buf.readInt32LE(i * 20 + 12),
      tissue: Math.round(buf.readFloatLE(i * 20 + 16) * 1e4) / 1e4
    })
  }
  return out
}
