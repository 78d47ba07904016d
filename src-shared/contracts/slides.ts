// Contract of the slides service: add slides to a project, list/get/remove, mpp override, labels,
// metadata of a file, the slide-global patch grid, and GeoJSON of the tissue outline and grid.
import { z } from 'zod'
import { method } from './define'
import type { Slide } from '../domain/types'
import { TISSUE_METHODS, type GridInfo } from '../domain/grid'
import type { FeatureCollection } from '../domain/geojson'

const id = z.number().int().positive()

export interface SlideLevelInfo {
  width: number
  height: number
  downsample: number
  tileWidth: number | null
  tileHeight: number | null
}

/** Metadata of one slide file, as `tessera slide info` prints it. */
export interface SlideInfo {
  path: string
  vendor: string
  reader: string
  width: number
  height: number
  levels: SlideLevelInfo[]
  mppX: number | null
  mppY: number | null
  objectivePower: number | null
  associatedImages: string[]
  properties: Record<string, string>
  /** the content key that keys every cache of this slide (see slides/service/content-key.ts) */
  contentKey: string
  /** set when level-0 mpp is missing or implausible (see domain/resolution): an override is needed for a grid */
  resolutionProblem: string | null
}

export interface AddSlidesResult {
  /** slides read successfully (new or refreshed) */
  added: Slide[]
  /** files that look like slides but could not be read: rows with status 'error' and the reason */
  failed: Slide[]
  /** files inside scanned folders that are not slides at all */
  skipped: { path: string; reason: string }[]
}

/** A grid sent compactly: one array per column, same order (patch index = position). */
export interface GridReply {
  info: GridInfo
  count: number
  x: number[]
  y: number[]
  col: number[]
  row: number[]
  tissue: number[]
}

export const tissueChoiceSchema = z.strictObject({
  method: z.enum(TISSUE_METHODS),
  /** fixed thresholds (0–255) instead of Otsu: HSV saturation, darkness (255 − grey) */
  saturationThreshold: z.number().int().min(0).max(255).optional(),
  darknessThreshold: z.number().int().min(0).max(255).optional()
})

/** A slide's tissue mask summarised: how much of the slide it calls tissue, and how. */
export interface TissueSummary {
  slideId: number
  method: string
  /** fraction (0–1) of the slide's area the mask calls tissue */
  coverage: number
  /** threshold applied (saturation, or darkness for otsu-grey; -1 for an annotation); combined adds darknessThreshold */
  threshold: number
  darknessThreshold?: number
  width: number
  height: number
}

const gridParams = {
  id,
  targetMpp: z.number().positive().max(100).default(0.5),
  patchSize: z.number().int().min(8).max(4096).default(224),
  overlap: z.number().int().min(0).default(0),
  minTissue: z.number().min(0).max(1).default(0.25),
  /** tissue method of this grid; absent = the project's choice */
  tissue: tissueChoiceSchema.optional()
}

export const slideContract = {
  'slide.add': method<AddSlidesResult>()(
    z.strictObject({ projectId: id, paths: z.array(z.string().min(1)).min(1, 'give at least one file or folder') }),
    'Add slide files, or folders scanned recursively by content, to a project (per-file errors recorded)'
  ),
  'slide.list': method<Slide[]>()(z.strictObject({ projectId: id }), 'List the slides of a project'),
  'slide.get': method<Slide>()(z.strictObject({ id }), 'Get one slide'),
  'slide.remove': method<{ removed: boolean }>()(z.strictObject({ id }), 'Remove a slide from its project (the file is untouched)'),
  'slide.setMppOverride': method<Slide>()(
    z.strictObject({ id, mpp: z.number().positive().max(100).nullable() }),
    'Set (or clear with null) the µm/px used for level 0 instead of the metadata'
  ),
  'slide.setLabel': method<Slide>()(
    z.strictObject({ id, label: z.string().max(200).nullable(), patientId: z.string().max(200).nullable() }),
    'Set the slide label and patient id'
  ),
  'slide.info': method<SlideInfo>()(z.strictObject({ path: z.string().min(1) }), 'Metadata of a slide file (not added anywhere)'),
  'slide.grid': method<GridReply>()(z.strictObject(gridParams), 'Slide-global patch grid at a target mpp (computed once, then stored)'),
  'slide.tissueGeoJSON': method<FeatureCollection>()(z.strictObject({ id }), 'Tissue outline as GeoJSON (level-0 px, QuPath)'),
  'slide.gridGeoJSON': method<FeatureCollection>()(z.strictObject(gridParams), 'Patch grid as GeoJSON tiles (level-0 px, QuPath)'),
  'slide.tissue': method<TissueSummary>()(
    z.strictObject({ id, tissue: tissueChoiceSchema.optional() }),
    'Tissue mask of a slide (the project\'s method unless one is given): its coverage, method and threshold'
  ),
  'slide.importTissue': method<TissueSummary & { polygons: number }>()(
    z.strictObject({
      id,
      /** a path readable by the core (CLI), or the file's text (desktop / HTTP, from a file picker) and its name; exactly one */
      file: z.string().min(1).optional(),
      geojsonText: z.string().max(256 * 1024 * 1024).optional(),
      fileName: z.string().max(500).optional()
    }),
    'Import a tissue annotation (GeoJSON polygons in level-0 px, e.g. exported from QuPath) for the geojson tissue method'
  )
} as const
