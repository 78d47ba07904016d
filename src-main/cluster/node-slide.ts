// Opening an exported slide on a cluster node: the workstation path (rewritten by --path-map), then the checks that it
// is the exported slide (content key) and cuts the exported grid (geometry recomputed from the file's own metadata).
import { openSlide } from '../slides/registry'
import type { SlideSource } from '../slides/slide-source'
import { contentKey } from '../slides/service/content-key'
import { gridGeometry, level0Mpp } from '../tissue/grid'
import { LEGACY_TISSUE_PARAMS } from '../tissue/tissue-mask'
import type { WorkSlide } from './work-folder'

export interface PathMap {
  /** a prefix as seen on the workstation → as mounted on the node */
  from: string
  to: string
}

export const mappedPath = (path: string, map?: PathMap): string => (map && path.startsWith(map.from) ? map.to + path.slice(map.from.length) : path)

/** Open the slide and check it; the caller closes it. Fails naming the file and what differs. */
export async function openWorkSlide(s: Pick<WorkSlide, 'name' | 'path' | 'contentKey' | 'mppOverride' | 'grid'>, map?: PathMap, signal?: AbortSignal): Promise<SlideSource> {
  const path = mappedPath(s.path, map)
  const source = await openSlide(path, signal ? { signal } : {})
  try {
    const key = await contentKey(path, source.metadata)
    if (key !== s.contentKey) throw new Error(`${path}: content differs from the exported slide "${s.name}" (content key ${key.slice(0, 16)}…, expected ${s.contentKey.slice(0, 16)}…)`)
    // the patches themselves come from the workstation (its tissue mask decided them, and the grid key covers that
    // mask's method, checked again on import); what decides the pixels read is the geometry, recomputed here
    const g = gridGeometry(source.metadata, level0Mpp(path, source.metadata, s.mppOverride), s.grid.params, key, LEGACY_TISSUE_PARAMS)
    const fields = ['level0Mpp', 'patchSizeLevel0', 'stepLevel0', 'readLevel', 'readDownsample', 'cols', 'rows'] as const
    const off = fields.filter((f) => g[f] !== s.grid[f])
    if (off.length) throw new Error(`${path}: the grid geometry on this node differs from the exported grid (${off.map((f) => `${f} ${g[f]} ≠ ${s.grid[f]}`).join(', ')})`)
    return source
  } catch (e) {
    await source.close()
    throw e
  }
}
