// The slides service: adds files/folders to projects (content-detected by the registry, per-file errors kept),
// slide metadata, cached open handles, Deep Zoom tiles, tissue masks, grids and their GeoJSON.
import { resolutionProblem } from '../../../src-shared/domain/resolution'
import { basename, dirname, extname, sep } from 'node:path'
import type { Db } from '../../store/database'
import type { SlidesRepo } from '../../store/slides-repo'
import type { ProjectsRepo } from '../../store/projects-repo'
import type { Slide } from '../../../src-shared/domain/types'
import type { GridParams, TissueChoice } from '../../../src-shared/domain/grid'
import type { FeatureCollection } from '../../../src-shared/domain/geojson'
import type { AddSlidesResult, GridReply, SlideInfo, TissueSummary } from '../../../src-shared/contracts/slides'
import { SlideError, type SlideMetadata, type SlideSource } from '../slide-source'
import { SlideHandles, type SlideOpener } from './handles'
import { contentKey } from './content-key'
import { expandPaths } from './scan'
import { TileService } from '../../tiles/tile-service'
import { createHash } from 'node:crypto'
import { getOrComputeGrid, getOrComputeMask, tissueParamsOf } from '../../tissue/grid-store'
import { tissueFraction, type TissueMask } from '../../tissue/tissue-mask'
import { AnnotationError, parseTissueGeoJSON } from '../../tissue/annotation-mask'
import { TissueRepo } from '../../store/tissue-repo'
import { readRegularFile, SafeOpenError } from '../../core/safe-open'
import { GridError } from '../../tissue/grid'
import { patchesToGeoJSON, tissueToGeoJSON } from '../../interop/geojson'
import { ApiError } from '../../api/errors'

/** Longest property value kept in the slide row (vendor descriptions can be huge). */
const MAX_PROPERTY_CHARS = 4000

export function slideInfo(source: SlideSource, key: string): SlideInfo {
  const m = source.metadata
  return {
    path: source.path,
    vendor: m.vendor,
    reader: m.reader,
    width: m.width,
    height: m.height,
    levels: m.levels.map((l) => ({ ...l })),
    mppX: m.mppX,
    mppY: m.mppY,
    objectivePower: m.objectivePower,
    associatedImages: [...m.associatedImages],
    properties: { ...m.properties },
    contentKey: key,
    resolutionProblem: resolutionProblem(m.mppX, m.mppY, null)
  }
}

function storedMetadata(m: SlideMetadata): Record<string, unknown> {
  const properties: Record<string, string> = {}
  for (const [k, v] of Object.entries(m.properties)) properties[k] = v.length > MAX_PROPERTY_CHARS ? `${v.slice(0, MAX_PROPERTY_CHARS)}…` : v
  return { reader: m.reader, levels: m.levels, objectivePower: m.objectivePower, associatedImages: m.associatedImages, properties }
}

const slideName = (path: string): string => basename(path, extname(path)) || basename(dirname(path))

/** Turn reader/grid failures into API errors that name the file. */
export function toApiError(e: unknown): unknown {
  if (e instanceof ApiError) return e
  if (e instanceof SlideError) return new ApiError(e.code === 'not_found' ? 'not_found' : e.code === 'unsupported' || e.code === 'needs_openslide' ? 'unsupported' : 'bad_request', e.message)
  if (e instanceof GridError || e instanceof AnnotationError) return new ApiError('bad_request', e.message)
  if (e instanceof SafeOpenError) return new ApiError(e.problem === 'not_found' ? 'not_found' : 'bad_request', e.message)
  return e
}

export class SlidesService {
  readonly handles: SlideHandles
  readonly tiles: TileService

  constructor(
    private readonly db: Db,
    readonly repo: SlidesRepo,
    private readonly projects: ProjectsRepo,
    private readonly open: SlideOpener
  ) {
    this.handles = new SlideHandles(open, 8)
    this.tiles = new TileService()
  }

  /** Add files and folders; every file that looks like a slide gets a row, readable or not. */
  async add(projectId: number, paths: string[], signal?: AbortSignal): Promise<AddSlidesResult> {
    this.projects.get(projectId)
    const result: AddSlidesResult = { added: [], failed: [], skipped: [] }
    const { entries, missing } = await expandPaths(paths)
    for (const p of missing) {
      result.failed.push(this.repo.upsert({ projectId, path: p, name: slideName(p), status: 'error', error: `${p}: no such file or folder` }))
    }
    const covered: string[] = [] // folders that opened as one slide (DICOM series): skip their files
    for (const entry of entries) {
      signal?.throwIfAborted()
      if (covered.some((d) => entry.path.startsWith(d + sep))) continue
      let source: SlideSource | null = null
      try {
        source = await this.open(entry.path, { signal })
        const key = await contentKey(entry.path, source.metadata)
        const m = source.metadata
        result.added.push(
          this.repo.upsert({
            projectId,
            path: entry.path,
            name: slideName(entry.path),
            status: 'ok',
            checksum: key,
            vendor: m.vendor,
            width: m.width,
            height: m.height,
            mppX: m.mppX,
            mppY: m.mppY,
            metadata: storedMetadata(m)
          })
        )
        await this.handles.forget(entry.path) // a re-added file may have changed
        if (entry.isDirectory) covered.push(entry.path)
      } catch (e) {
        const message = e instanceof Error ? e.message : String(e)
        const notASlide = e instanceof SlideError && e.code === 'unsupported'
        if (entry.isDirectory) {
          // a folder that is not itself a slide: its files are scanned one by one; a folder that IS a slide
          // (DICOM series) but fails to open is one failed slide, not a heap of per-instance errors
          if (notASlide) continue
          covered.push(entry.path)
        }
        if (!entry.explicit && notASlide) {
          result.skipped.push({ path: entry.path, reason: message })
          continue
        }
        const text = message.includes(entry.path) ? message : `${entry.path}: ${message}`
        result.failed.push(this.repo.upsert({ projectId, path: entry.path, name: slideName(entry.path), status: 'error', error: text }))
      } finally {
        await source?.close().catch(() => undefined)
      }
    }
    return result
  }

  async info(path: string): Promise<SlideInfo> {
    try {
      return await this.handles.with(path, async (s) => slideInfo(s, await contentKey(path, s.metadata)))
    } catch (e) {
      throw toApiError(e)
    }
  }

  async remove(id: number): Promise<boolean> {
    const slide = this.repo.get(id)
    if (slide.checksum) this.tiles.forget(slide.checksum)
    const removed = this.repo.remove(id)
    if (!this.db.prepare('SELECT 1 FROM slides WHERE path = ?').get(slide.path)) await this.handles.forget(slide.path)
    return removed
  }

  /** Run fn with the open source of a readable slide row. */
  async withSlide<T>(id: number, fn: (source: SlideSource, slide: Slide) => Promise<T>): Promise<T> {
    const slide = this.repo.get(id)
    if (slide.status !== 'ok' || !slide.checksum) throw new ApiError('bad_request', `slide ${id} (${slide.path}) is not readable: ${slide.error ?? slide.status}`)
    try {
      return await this.handles.with(slide.path, (s) => fn(s, slide))
    } catch (e) {
      throw toApiError(e)
    }
  }

  async grid(id: number, params: GridParams): Promise<GridReply> {
    const { info, patches } = await this.withSlide(id, (source, slide) => getOrComputeGrid(this.db, slide, params, { source }))
    return {
      info,
      count: patches.length,
      x: patches.map((p) => p.x),
      y: patches.map((p) => p.y),
      col: patches.map((p) => p.col),
      row: patches.map((p) => p.row),
      tissue: patches.map((p) => p.tissue)
    }
  }

  async gridGeoJSON(id: number, params: GridParams): Promise<FeatureCollection> {
    const { info, patches } = await this.withSlide(id, (source, slide) => getOrComputeGrid(this.db, slide, params, { source }))
    return patchesToGeoJSON(patches, info.patchSizeLevel0, {}, { gridKey: info.key })
  }

  async tissueGeoJSON(id: number): Promise<FeatureCollection> {
    const mask = await this.withSlide(id, (source, slide) => getOrComputeMask(this.db, slide, { source, tissueParams: tissueParamsOf(this.db, slide.id, {}) }))
    return tissueToGeoJSON(mask, { maskParams: mask.params, threshold: mask.threshold, maskDownsample: mask.downsample })
  }

  /** The slide's tissue mask under the project's method (or `tissue`), summarised: coverage, method, threshold. */
  async tissue(id: number, tissue?: TissueChoice): Promise<TissueSummary> {
    const mask = await this.withSlide(id, (source, slide) =>
      getOrComputeMask(this.db, slide, { source, tissueParams: tissueParamsOf(this.db, slide.id, tissue ? { tissue } : {}) })
    )
    return summary(id, mask)
  }

  /** Store a GeoJSON tissue annotation for the slide (one per slide, replaced on re-import) and rasterise it once. */
  async importTissue(id: number, from: { file: string } | { text: string; name: string }): Promise<TissueSummary & { polygons: number }> {
    const slide = this.repo.get(id)
    // a path (CLI) is read here, capped; text comes from a file picker in the UI (the renderer cannot give paths)
    const file = 'file' in from ? from.file : from.name
    let bytes: Buffer
    try {
      bytes = 'file' in from ? await readRegularFile(from.file, { maxBytes: 256 << 20, what: 'tissue GeoJSON' }) : Buffer.from(from.text, 'utf8')
    } catch (e) {
      throw toApiError(e)
    }
    let polygons
    try {
      polygons = parseTissueGeoJSON(bytes.toString('utf8'), file)
    } catch (e) {
      throw toApiError(e)
    }
    const sha = createHash('sha256').update(bytes).digest('hex')
    new TissueRepo(this.db).putAnnotation(slide.id, file, sha, polygons)
    const mask = await this.withSlide(id, (source, sl) =>
      getOrComputeMask(this.db, sl, { source, tissueParams: tissueParamsOf(this.db, sl.id, { tissue: { method: 'geojson' } }) })
    )
    return { ...summary(id, mask), polygons: polygons.length }
  }

  async close(): Promise<void> {
    await this.handles.closeAll()
  }
}

function summary(slideId: number, mask: TissueMask): TissueSummary {
  return {
    slideId,
    method: mask.params.method,
    coverage: Math.round(tissueFraction(mask) * 1e4) / 1e4,
    threshold: mask.threshold,
    ...(mask.darknessThreshold !== undefined ? { darknessThreshold: mask.darknessThreshold } : {}),
    width: mask.width,
    height: mask.height
  }
}
