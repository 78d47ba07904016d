// Cached tissue masks and grids per slide (tables tissue_masks, grids; migration 0004). Other rooms call
// getOrComputeGrid(db, slide, params) and get the same GridInfo.key and patch order every time.
import { createHash } from 'node:crypto'
import type { Db } from '../store/database'
import type { GridInfo, GridParams, GridPatch } from '../../src-shared/domain/grid'
import type { Slide } from '../../src-shared/domain/types'
import type { SlideSource } from '../slides/slide-source'
import type { SlideOpener } from '../slides/service/handles'
import { openSlide } from '../slides/registry'
import { computeTissueMask, DEFAULT_TISSUE_PARAMS, packMask, tissueFraction, tissueParamsFor, unpackMask, type TissueMask, type TissueMaskParams } from './tissue-mask'
import { gridGeometry, gridPatches, level0Mpp, packPatches, unpackPatches, GridError } from './grid'
import { gridName } from './grid-name'
import { rasterizePolygons } from './annotation-mask'
import { ProjectsRepo } from '../store/projects-repo'
import { TissueRepo } from '../store/tissue-repo'

export const DEFAULT_GRID_PARAMS: GridParams = { targetMpp: 0.5, patchSize: 224, overlap: 0, minTissue: 0.25 }

export interface GridOptions {
  /** an already open source (preferred); otherwise `open` (default: the registry's openSlide) opens it and closes it after */
  source?: SlideSource
  open?: SlideOpener
  /** overrides both params.tissue and the project's choice */
  tissueParams?: TissueMaskParams
  signal?: AbortSignal
}

/** Tissue parameters of a grid of this slide: the options', else the request's (params.tissue), else the project's, else the default. */
export function tissueParamsOf(db: Db, slideId: number, params: Pick<GridParams, 'tissue'>, opts: Pick<GridOptions, 'tissueParams'> = {}): TissueMaskParams {
  if (opts.tissueParams) return opts.tissueParams
  const choice = params.tissue ?? new ProjectsRepo(db).tissueOfSlide(slideId)
  return choice ? tissueParamsFor(choice) : DEFAULT_TISSUE_PARAMS
}

/** geojson: the parameters with the slide's annotation hash in them (so a re-import makes a new mask and grid). */
function withAnnotation(db: Db, slide: SlideRef, p: TissueMaskParams): TissueMaskParams {
  if (p.method !== 'geojson') return p
  const a = new TissueRepo(db).annotation(slide.id)
  if (!a) throw new GridError(`${slide.path}: the project's tissue method is geojson but this slide has no imported tissue annotation (tessera slide tissue-import)`)
  return { ...p, annotation: a.sha256 }
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
  const params = withAnnotation(db, slide, opts.tissueParams ?? DEFAULT_TISSUE_PARAMS)
  const key = maskKey(ck, params)
  const row = db.prepare('SELECT params, threshold, width, height, downsample, mask, coverage FROM tissue_masks WHERE slide_id = ? AND mask_key = ?').get(slide.id, key) as
    | (MaskRow & { coverage: number | null })
    | undefined
  if (row) {
    const mask: TissueMask = {
      width: row.width,
      height: row.height,
      downsample: row.downsample,
      threshold: row.threshold,
      params: JSON.parse(row.params) as TissueMaskParams,
      data: unpackMask(row.mask, row.width * row.height)
    }
    if (row.coverage === null) new TissueRepo(db).setMaskCoverage(slide.id, key, tissueFraction(mask)) // masks stored before coverage was
    return mask
  }
  const mask = await withSource(slide, opts, async (s) => (params.method === 'geojson' ? annotationMask(db, slide.id, s, params) : computeTissueMask(s, params, opts.signal)))
  db.prepare(
    `INSERT OR REPLACE INTO tissue_masks (slide_id, mask_key, params, threshold, width, height, downsample, mask, coverage)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`
  ).run(slide.id, key, JSON.stringify(params), mask.threshold, mask.width, mask.height, mask.downsample, packMask(mask.data), tissueFraction(mask))
  return mask
}

/** Mask of the slide's imported annotation, at the resolution a computed mask would have. */
function annotationMask(db: Db, slideId: number, source: SlideSource, params: TissueMaskParams): TissueMask {
  const a = new TissueRepo(db).annotation(slideId)
  if (!a) throw new GridError(`${source.path}: no imported tissue annotation`)
  const { width, height } = source.metadata
  const downsample = Math.max(1, Math.max(width, height) / params.longSide)
  const w = Math.max(1, Math.ceil(width / downsample))
  const h = Math.max(1, Math.ceil(height / downsample))
  return { width: w, height: h, downsample, data: rasterizePolygons(a.polygons, w, h, downsample), params, threshold: -1 }
}

/** Grid of a slide that is not in a project (CLI on a loose file): nothing is stored. */
export async function computeGrid(
  source: SlideSource,
  contentKey: string,
  mppOverride: number | null,
  params: GridParams,
  tissueParams: TissueMaskParams = params.tissue ? tissueParamsFor(params.tissue) : DEFAULT_TISSUE_PARAMS,
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
  const tissueParams = tissueParamsOf(db, slide.id, params, opts)
  // the key holds the annotation's hash (per slide); the project-wide name holds the method only
  const keyParams = withAnnotation(db, slide, tissueParams)
  const compute = async (source: SlideSource): Promise<{ info: GridInfo; patches: GridPatch[] }> => {
    const mpp0 = level0Mpp(slide.path, source.metadata, slide.mppOverride)
    const info = { ...gridGeometry(source.metadata, mpp0, params, ck, keyParams), name: gridName(params, tissueParams) }
    const stored = db.prepare('SELECT info, patches FROM grids WHERE slide_id = ? AND grid_key = ?').get(slide.id, info.key) as
      | { info: string; patches: Buffer }
      | undefined
    if (stored) return { info: { ...(JSON.parse(stored.info) as GridInfo), name: info.name, tissueMethod: info.tissueMethod }, patches: unpackPatches(stored.patches) }
    const mask = await getOrComputeMask(db, slide, { ...opts, source, tissueParams })
    const patches = gridPatches(info, mask)
    db.prepare(
      'INSERT OR REPLACE INTO grids (slide_id, grid_key, info, tissue_params, patch_count, patches) VALUES (?, ?, ?, ?, ?, ?)'
    ).run(slide.id, info.key, JSON.stringify(info), JSON.stringify(keyParams), patches.length, packPatches(patches))
    return { info, patches }
  }
  return withSource(slide, opts, compute)
}
