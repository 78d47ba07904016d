// Handlers of features.* methods: cache listing, extraction jobs, HDF5 import/export.
import type { Handlers } from '../dispatch'
import type { Services } from '../../core/services'
import type { FeatureSetSummary } from '../../../src-shared/contracts/features'
import { ApiError } from '../errors'
import { FeatureCache } from '../../store/feature-cache'
import { SlidesRepo } from '../../store/slides-repo'
import { encoderKeyOf } from '../../models/manifest'
import { openSlide } from '../../slides/registry'
import { importFeatureFiles } from '../../interop/feature-import'
import { exportFeatureFiles } from '../../interop/feature-export'
import { gridKeyMatches, gridNameOfSet } from '../../tissue/grid-name'
import type { GridInfo } from '../../../src-shared/domain/grid'

type FeatureMethods = 'features.list' | 'features.extract' | 'features.import' | 'features.export' | 'features.delete'

export const DEFAULT_FEATURE_GRID = { targetMpp: 0.5, patchSize: 224, overlap: 0, minTissue: 0.25 }

/** A registered model, or the encoder key of imported features ("imported:<label>"). */
function resolveEncoder(s: Services, ref: string | number): { key: string; name: string; weightHash: string } {
  if (typeof ref === 'string' && ref.startsWith('imported:')) return { key: ref, name: ref.slice('imported:'.length).split('@')[0] || 'imported', weightHash: '' }
  const rec = s.models.resolve(ref)
  const m = s.models.manifestOf(rec)
  return { key: encoderKeyOf(m), name: rec.name, weightHash: m.weightSha256 }
}

export function featureHandlers(s: Services): Pick<Handlers, FeatureMethods> {
  return {
    'features.list': ({ projectId, model }) => {
      s.projects.get(projectId)
      const slides = new SlidesRepo(s.db).list(projectId)
      const byChecksum = new Map(slides.filter((x) => x.checksum).map((x) => [x.checksum as string, x]))
      const key = model === undefined ? undefined : resolveEncoder(s, model).key
      return new FeatureCache(s.db)
        .list(key ? { encoderKey: key } : {})
        .filter((set) => byChecksum.has(set.slideChecksum))
        .map((set): FeatureSetSummary => {
          const slide = byChecksum.get(set.slideChecksum)
          return {
            id: set.id,
            slideId: slide?.id ?? null,
            slideName: slide?.name ?? set.slideName,
            encoderKey: set.encoderKey,
            gridKey: set.gridKey,
            grid: gridNameOfSet(set),
            tissueMethod: (set.producedBy['grid'] as Partial<GridInfo> | undefined)?.tissueMethod ?? 'otsu-saturation',
            dtype: set.dtype,
            dim: set.dim,
            count: set.count,
            complete: set.complete,
            createdAt: set.createdAt
          }
        })
    },
    'features.extract': (req) => {
      s.projects.get(req.projectId)
      const rec = s.models.resolve(req.model)
      s.models.weightsFileOf(rec)
      return s.jobs.start('features.extract', req.projectId, {
        projectId: req.projectId,
        modelId: rec.id,
        grid: req.grid ?? DEFAULT_FEATURE_GRID,
        ...(req.slideIds ? { slideIds: req.slideIds } : {}),
        ...(req.dtype ? { dtype: req.dtype } : {}),
        ...(req.batchSize ? { batchSize: req.batchSize } : {}),
        ...(req.readers ? { readers: req.readers } : {}),
        ...(req.provider ? { provider: req.provider } : {}),
        ...(req.threads ? { threads: req.threads } : {})
      })
    },
    'features.import': (req) => {
      s.projects.get(req.projectId)
      return importFeatureFiles(s.db, openSlide, {
        projectId: req.projectId,
        files: req.files,
        ...(req.encoder ? { encoder: req.encoder } : {}),
        ...(req.grid ? { grid: req.grid } : {}),
        ...(req.dtype ? { dtype: req.dtype } : {})
      })
    },
    'features.export': async (req) => {
      s.projects.get(req.projectId)
      const enc = resolveEncoder(s, req.model)
      const reply = await exportFeatureFiles(s.db, {
        projectId: req.projectId,
        encoderKey: enc.key,
        encoderName: enc.name,
        weightHash: enc.weightHash,
        out: req.out,
        force: req.force ?? false,
        ...(req.gridKey ? { gridKey: req.gridKey } : {})
      })
      // a re-run that only found verified earlier exports (or files it refused to touch) has still answered
      if (reply.files.length === 0 && reply.failed.length === 0 && !reply.skipped.some((x) => x.verified)) {
        throw new ApiError('not_found', `nothing exported: ${reply.skipped.map((x) => `${x.slide}: ${x.reason}`).join('; ') || 'the project has no slides'}`)
      }
      return reply
    },
    'features.delete': (req) => {
      s.projects.get(req.projectId)
      // the cache is keyed by slide content: the same file in another project shares (and loses) these sets
      const checksums = new Set(new SlidesRepo(s.db).list(req.projectId).flatMap((x) => (x.checksum ? [x.checksum] : [])))
      const encoder = req.model === undefined ? undefined : resolveEncoder(s, req.model).key
      const ids = req.setIds ? new Set(req.setIds) : null
      const cache = new FeatureCache(s.db)
      const doomed = cache
        .list(encoder ? { encoderKey: encoder } : {})
        .filter((set) => checksums.has(set.slideChecksum))
        .filter((set) => (req.gridKey === undefined || gridKeyMatches(set, req.gridKey)) && (ids === null || ids.has(set.id)))
      if (ids) {
        const missing = [...ids].filter((i) => !doomed.some((d) => d.id === i))
        if (missing.length) throw new ApiError('not_found', `feature set(s) ${missing.join(', ')} not found in this project for the given model/grid`)
      }
      if (doomed.length === 0) throw new ApiError('not_found', 'no cached feature set of this project matches (see features list)')
      s.db.transaction(() => doomed.forEach((d) => cache.deleteById(d.id)))()
      return { deleted: doomed.map((d) => ({ id: d.id, slideName: d.slideName, encoderKey: d.encoderKey, grid: gridNameOfSet(d) })) }
    }
  }
}
