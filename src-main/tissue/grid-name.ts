// Project-wide grid names: one readable key per set of grid parameters (target mpp, patch size, overlap, min-tissue,
// tissue method and its parameters), equal for every slide of a project. GridInfo.key stays the per-slide cache key
// (it also holds the slide's content key and level-0 mpp); the name is what users pick with --grid-key.
import { createHash } from 'node:crypto'
import type { GridInfo, GridParams } from '../../src-shared/domain/grid'
import { LEGACY_TISSUE_PARAMS, type TissueMaskParams } from './tissue-mask'

const num = (x: number): string => String(Number(x.toPrecision(6)))

/** e.g. `0.5mpp_224px_ov0_mt0.25_saturation-1a2b3c4d`: the hash covers every tissue parameter, the prefix is for people. */
export function gridName(params: GridParams, tissue: TissueMaskParams): string {
  const keyed = {
    params: { targetMpp: params.targetMpp, patchSize: params.patchSize, overlap: params.overlap, minTissue: params.minTissue },
    tissue
  }
  const h = createHash('sha256').update(JSON.stringify(keyed)).digest('hex').slice(0, 8)
  const method = tissue.method.replace(/^otsu-/, '')
  return `${num(params.targetMpp)}mpp_${params.patchSize}px_ov${params.overlap}_mt${num(params.minTissue)}_${method}-${h}`
}

/**
 * The project-wide name of a stored grid record. Grids stored before names existed carry none; they were all built
 * with the saturation mask (LEGACY_TISSUE_PARAMS), so their name is computed from that.
 */
export function gridNameOf(grid: Partial<GridInfo> | undefined): string | null {
  if (!grid) return null
  if (typeof grid.name === 'string' && grid.name) return grid.name
  return grid.params ? gridName(grid.params, LEGACY_TISSUE_PARAMS) : null
}

/** Name of the grid a cached feature set was computed on (its per-slide key when it has no grid record). */
export function gridNameOfSet(set: { gridKey: string; producedBy: Record<string, unknown> }): string {
  return gridNameOf(set.producedBy['grid'] as Partial<GridInfo> | undefined) ?? set.gridKey
}

/** Does `key` (a project-wide name or a per-slide grid key) select this set? */
export function gridKeyMatches(set: { gridKey: string; producedBy: Record<string, unknown> }, key: string): boolean {
  return set.gridKey === key || gridNameOfSet(set) === key
}
