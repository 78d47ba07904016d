// Contract of the feature cache: list cached sets, start extraction, import TRIDENT/CLAM/STAMP HDF5, export TRIDENT HDF5.
import { z } from 'zod'
import { method } from './define'
import type { Job } from '../domain/types'
import { tissueChoiceSchema } from './slides'

const id = z.number().int().positive()
const modelRef = z.union([id, z.string().min(1)])
export const gridParamsSchema = z.strictObject({
  targetMpp: z.number().positive().default(0.5),
  patchSize: z.number().int().min(8).max(4096).default(224),
  overlap: z.number().int().min(0).default(0),
  minTissue: z.number().min(0).max(1).default(0.25),
  /** tissue method of this grid; absent = the project's choice */
  tissue: tissueChoiceSchema.optional()
})

export interface FeatureSetSummary {
  id: number
  slideId: number | null
  slideName: string | null
  encoderKey: string
  /** per-slide grid key (cache key) */
  gridKey: string
  /** project-wide grid name (equal on every slide of one grid): what --grid-key takes */
  grid: string
  /** tissue-mask method of the grid */
  tissueMethod: string
  dtype: 'float16' | 'float32'
  dim: number
  count: number
  complete: boolean
  createdAt: string
}

export interface FeatureImportFileReport {
  file: string
  ok: boolean
  error?: string
  slide?: string
  layout?: 'trident' | 'clam' | 'stamp'
  rows?: number
  dim?: number
  matched?: number
  unmatchedFileRows?: number
  gridPatchesWithoutFeatures?: number
  /** differences between the file's grid attributes and ours (patch size, footprint, mpp) */
  warnings?: string[]
  /** a few file coordinates (level-0 px) that are not on our grid */
  unmatchedExamples?: [number, number][]
  encoderKey?: string
}

export interface FeatureExportReply {
  out: string
  /** `note`: e.g. a damaged earlier export of this file was replaced */
  files: { slide: string; file: string; count: number; dim: number; grid: string; note?: string }[]
  /** `verified`: the file is an earlier export whose size and SHA-256 still match the export manifest */
  skipped: { slide: string; reason: string; verified?: boolean }[]
  /** files that exist under the target name but cannot be verified as a previous export (left untouched) */
  failed: { slide: string; file: string; error: string }[]
}

export interface FeatureDeleteReply {
  deleted: { id: number; slideName: string | null; encoderKey: string; grid: string }[]
}

export const featureContract = {
  'features.list': method<FeatureSetSummary[]>()(
    z.strictObject({ projectId: id, model: modelRef.optional() }),
    'Cached feature sets of the slides of a project (optionally of one model)'
  ),
  'features.extract': method<Job>()(
    z.strictObject({
      projectId: id,
      model: modelRef,
      slideIds: z.array(id).optional(),
      grid: gridParamsSchema.optional(),
      dtype: z.enum(['float16', 'float32']).optional(),
      batchSize: z.number().int().min(1).max(1024).optional(),
      readers: z.number().int().min(1).max(32).optional(),
      provider: z.enum(['auto', 'cpu', 'cuda']).optional(),
      threads: z.number().int().min(1).max(256).optional()
    }),
    'Start a job that runs a model over every grid patch of the slides and caches the vectors (resumable per slide)'
  ),
  'features.import': method<FeatureImportFileReport[]>()(
    z.strictObject({
      projectId: id,
      files: z.array(z.string().min(1)).min(1),
      encoder: z.string().min(1).max(200).optional(),
      grid: gridParamsSchema.partial().optional(),
      dtype: z.enum(['float16', 'float32']).optional()
    }),
    'Import per-slide HDF5 features (TRIDENT/CLAM `features`+`coords`, STAMP `feats`+µm coords) matched to our grid by coordinates'
  ),
  'features.export': method<FeatureExportReply>()(
    z.strictObject({
      projectId: id,
      /** a registered model, or the encoder key of imported features ("imported:…") */
      model: modelRef,
      format: z.literal('h5'),
      out: z.string().min(1),
      force: z.boolean().optional(),
      /** only this grid (project-wide grid name from features.list, or a per-slide grid key); default every grid */
      gridKey: z.string().min(1).optional()
    }),
    'Export cached features to TRIDENT-layout HDF5: <grid name>/<mag>x_<ps>px_<ov>px_overlap/features_<encoder>/<slide>.h5, atomically'
  ),
  'features.delete': method<FeatureDeleteReply>()(
    z
      .strictObject({
        projectId: id,
        model: modelRef.optional(),
        /** project-wide grid name or per-slide grid key */
        gridKey: z.string().min(1).optional(),
        /** feature-set ids from features.list */
        setIds: z.array(id).optional(),
        confirm: z.literal(true)
      })
      .refine((r) => r.model !== undefined || r.gridKey !== undefined || r.setIds !== undefined, {
        message: 'name what to delete: a model, a grid key or set ids'
      }),
    'Delete cached feature sets of the project\'s slides (by model, grid and/or set ids; confirm must be true)'
  )
} as const
