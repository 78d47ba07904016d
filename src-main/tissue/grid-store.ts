// Cached tissue masks and grids per slide (tables tissue_masks, grids; migration 0004). Other rooms call
// getOrComputeGrid(db, slide, params) and get the same GridInfo.key and patch order every time.
import { createHash } from 'node:crypto'
import type { Db } from '../store/database'
import type { GridInfo, GridParams, GridPatch } from '../../src-shared/domain/grid'
import type { Slide } from '../../src-shared/domain/types'
import type { SlideSource } from '../slides/slide-source'
import type { SlideOpener } from '../slides/service/handles'
import { openSlide } from '../slides/registry'
import { computeTissueMask, DEFAULT_TISSUE_PARAMS, packMask, unpackMask, type TissueMask, type TissueMaskParams } from './tissue-mask'
import { gridGeometry, gridPatches, level0Mpp, packPatches, unpackPatches, GridError } from './grid'

export const DEFAULT_GRID_PARAMS: GridParams = { targetMpp: 0.5, patchSize: 224, overlap: 0, minTissue: 0.25 }

export interface GridOptions {
  /** an already open source (preferred); otherwise `open` (default: the registry's openSlide) opens it and closes it after */
  source?: SlideSource
  open?: SlideOpener
  tissueParams?: TissueMaskParams
  signal?: AbortSignal
}

type SlideRef = Pick<Slide, 'id' | 'path' | 'checksum' | 'mppOverride' | 'status'>

function maskKey(contentKey: string, p: TissueMaskParams): string {
  return 'mask1-' + createHash('sha256').update(JSON.stringify({ contentKey, p })).digest('hex').slice(0, 32)
}

async function withSource<T>(slide: SlideRef, opts: GridOptions, fn: (s: SlideSource) => Promise<T>): Promise<T> {
  if (opts.source) return fn(opts.source)
  const source = await (opts.open ?? openSlide)(slide.path, { signal: opts.signal })
  try {
    return await fn(source)
  } finally {
    await source.close()
  }
}

function usable(slide: SlideRef): string {
  if (slide.status !== 'ok' || !slide.checksum) throw new GridError(`${slide.path}: slide ${slide.id} is not readable (status ${slide.status}); re-add it`)
  return slide.checksum
}

interface MaskRow {
  params: string
  threshold: number
  width: number
  height: number
  downsample: number
  mask: Buffer
}

/** The slide's tissue mask (stored per content key + parameters). */
export async function getOrComputeMask(db: Db, slide: SlideRef, opts: GridOptions = {}): Promise<TissueMask> {
  const ck = usable(slide)
  const params = opts.tissueParams ?? DEFAULT_TISSUE_PARAMS
  const key = maskKey(ck, params)
  const row = db.prepare('SELECT params, threshold, width, height, downsample, mask FROM tissue_masks WHERE slide_id = ? AND mask_key = ?').get(slide.id, key) as
    | MaskRow
    | undefined
  if (row) {
    return {
      width: row.width,
      height: row.height,
      downsample: row.downsample,
      threshold: row.threshold,
      params: JSON.parse(row.params) as TissueMaskParams,
      data: unpackMask(row.mask, row.width * row.height)
    }
  }
  const mask = await withSource(slide, opts, (s) => computeTissueMask(s, params, opts.signal))
  db.prepare(
    `INSERT OR REPLACE INTO tissue_masks (slide_id, mask_key, params, threshold, width, height, downsample, mask)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)`
  ).run(slide.id, key, JSON.stringify(params), mask.threshold, mask.width, mask.height, mask.downsample, packMask(mask.data))
  return mask
}

/** Grid of a slide that is not in a project (CLI on a loose file): nothing is stored. */
export async function computeGrid(
  source: SlideSource,
  contentKey: string,
  mppOverride: number | null,
  params: GridParams,
  tissueParams: TissueMaskParams = DEFAULT_TISSUE_PARAMS,
  signal?: AbortSignal
): Promise<{ info: GridInfo; patches: GridPatch[]; mask: TissueMask }> {
  const mpp0 = level0Mpp(source.path, source.metadata, mppOverride)
  const info = gridGeometry(source.metadata, mpp0, params, contentKey, tissueParams)
  const mask = await computeTissueMask(source, tissueParams, signal)
  return { info, patches: gridPatches(info, mask), mask }
}

/**
 * The slide's grid for `params`, computed once and then read from the store. `slide.metadata` must hold the
 * reader's metadata (the slides service stores it); the mpp override wins over the file's mpp.
 */
export async function getOrComputeGrid(
  db: Db,
  slide: SlideRef,
  params: GridParams,
  opts: GridOptions = {}
): Promise<{ info: GridInfo; patches: GridPatch[] }> {
  const ck = usable(slide)
  const tissueParams = opts.tissueParams ?? DEFAULT_TISSUE_PARAMS
  const compute = async (source: SlideSource): Promise<{ info: GridInfo; patches: GridPatch[] }> => {
    const mpp0 = level0Mpp(slide.path, source.metadata, slide.mppOverride)
    const info = gridGeometry(source.metadata, mpp0, params, ck, tissueParams)
    const stored = db.prepare('SELECT info, patches FROM grids WHERE slide_id = ? AND grid_key = ?').get(slide.id, info.key) as
      | { info: string; patches: Buffer }
      | undefined
    if (stored) return { info: { ...(JSON.parse(stored.info) as GridInfo), name: info.name, tissueMethod: info.tissueMethod }, patches: unpackPatches(stored.patches) }
    const mask = await getOrComputeMask(db, slide, { ...opts, source })
    const patches = gridPatches(info, mask)
    db.prepare(
      'INSERT OR REPLACE INTO grids (slide_id, grid_key, info, tissue_params, patch_count, patches) VALUES (?, ?, ?, ?, ?, ?)'
    ).run(slide.id, info.key, JSON.stringify(info), JSON.stringify(tissueParams), patches.length, packPatches(patches))
    return { info, patches }
  }
  return withSource(slide, opts, compute)
}
