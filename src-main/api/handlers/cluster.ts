// Handlers of cluster.* methods: SLURM work folders for feature extraction (export, status, verified import).
import { resolve } from 'node:path'
import type { Handlers } from '../dispatch'
import type { Services } from '../../core/services'
import { ApiError } from '../errors'
import { exportWorkFolder } from '../../cluster/export'
import { importWorkFolder, ClusterImportRefused } from '../../cluster/import'
import { workStatus } from '../../cluster/status'
import { openSlide } from '../../slides/registry'

type ClusterMethods = 'cluster.export' | 'cluster.status' | 'cluster.import'

/** Folder problems (exists, not a work folder, refused shard) are the caller's to fix: bad_request / conflict. */
function asApiError(e: unknown): never {
  if (e instanceof ApiError) throw e
  const message = (e as Error).message
  if (e instanceof ClusterImportRefused || /refusing to replace|already exists/.test(message)) throw new ApiError('conflict', message)
  if (/not a Tessera cluster work folder|invalid (work|shard) manifest|not readable JSON/.test(message)) throw new ApiError('bad_request', message)
  throw e
}

export function clusterHandlers(s: Services): Pick<Handlers, ClusterMethods> {
  return {
    'cluster.export': async (req) => {
      s.projects.get(req.projectId)
      try {
        return await exportWorkFolder(s.db, s.models, {
          projectId: req.projectId,
          model: req.model,
          to: resolve(req.to),
          force: req.force,
          ...(req.shards !== undefined ? { shards: req.shards } : {}),
          ...(req.slideIds ? { slideIds: req.slideIds } : {}),
          ...(req.grid ? { grid: req.grid } : {}),
          ...(req.dtype ? { dtype: req.dtype } : {}),
          ...(req.batchSize ? { batchSize: req.batchSize } : {}),
          ...(req.readers ? { readers: req.readers } : {}),
          ...(req.provider ? { provider: req.provider } : {}),
          ...(req.sbatch ? { sbatch: req.sbatch } : {})
        })
      } catch (e) {
        return asApiError(e)
      }
    },
    'cluster.status': async ({ dir, verify }) => {
      try {
        return await workStatus(resolve(dir), { verify })
      } catch (e) {
        return asApiError(e)
      }
    },
    'cluster.import': async ({ dir }) => {
      try {
        return await importWorkFolder(s.db, openSlide, resolve(dir))
      } catch (e) {
        return asApiError(e)
      }
    }
  }
}
