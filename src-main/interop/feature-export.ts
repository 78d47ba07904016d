// Export cached feature sets of a project's slides to TRIDENT-layout HDF5 files, one per slide, each written atomically,
// under a folder named by the grid (<out>/<grid name>/<mag>x_<ps>px_<ov>px_overlap/…) so two grids never share a path.
// Each file lands under its final name only once complete and read back; <out>/tessera-features-manifest.json keeps
// its size and SHA-256, and a re-run skips only files that still match it. A full disk stops the export (DiskFullError
// naming the file); what was completed before stays listed.
import { existsSync, mkdirSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import type { Db } from '../store/database'
import type { GridInfo } from '../../src-shared/domain/grid'
import type { FeatureExportReply } from '../../src-shared/contracts/features'
import { FeatureCache } from '../store/feature-cache'
import { SlidesRepo } from '../store/slides-repo'
import { VERSION } from '../core/version'
import { tridentPath, writeTridentFile } from './hdf5'
import { ExportManifest } from './export-manifest'
import { gridKeyMatches, gridNameOfSet } from '../tissue/grid-name'

export interface FeatureExportOptions {
  projectId: number
  encoderKey: string
  /** name used for the `features_<encoder>` folder and the `encoder` attribute */
  encoderName: string
  weightHash: string
  out: string
  force?: boolean
  /** only the sets of this grid (project-wide grid name, or a per-slide grid key); default: every grid */
  gridKey?: string
}

export async function exportFeatureFiles(db: Db, o: FeatureExportOptions): Promise<FeatureExportReply> {
  const out = resolve(o.out)
  const cache = new FeatureCache(db)
  const reply: FeatureExportReply = { out, files: [], skipped: [], failed: [] }
  mkdirSync(out, { recursive: true })
  const manifest = ExportManifest.load(out)
  const written = new Set<string>()
  for (const slide of new SlidesRepo(db).list(o.projectId)) {
    if (!slide.checksum) {
      reply.skipped.push({ slide: slide.name, reason: `not readable (${slide.status})` })
      continue
    }
    const sets = cache
      .list({ encoderKey: o.encoderKey, slideChecksum: slide.checksum, completeOnly: true })
      .filter((set) => o.gridKey === undefined || gridKeyMatches(set, o.gridKey))
      // float32 first: of two precisions of one grid the file holds the exact one
      .sort((a, b) => (a.dtype === b.dtype ? a.id - b.id : a.dtype === 'float32' ? -1 : 1))
    if (sets.length === 0) {
      const why = o.gridKey === undefined ? '' : ` on grid ${o.gridKey}`
      reply.skipped.push({ slide: slide.name, reason: `no cached features for this model${why} (run features extract)` })
      continue
    }
    for (const set of sets) {
      const data = cache.readById(set.id)
      const grid = set.producedBy['grid'] as GridInfo | undefined
      if (!data || !grid) {
        reply.skipped.push({ slide: slide.name, reason: `feature set ${set.id} has no grid record` })
        continue
      }
      const level0Mpp = grid.level0Mpp
      const objective = typeof set.producedBy['objectivePower'] === 'number' ? (set.producedBy['objectivePower'] as number) : null
      const attrs = {
        patchSize: grid.params.patchSize,
        patchSizeLevel0: grid.patchSizeLevel0,
        overlap: grid.params.overlap,
        // TRIDENT's convention: 20× ≈ 0.5 µm/px
        targetMagnification: Number((10 / grid.params.targetMpp).toFixed(2)),
        level0Magnification: objective ?? Number((10 / level0Mpp).toFixed(2)),
        level0Width: slide.width ?? 0,
        level0Height: slide.height ?? 0,
        name: slide.name,
        encoder: o.encoderName,
        mpp: grid.params.targetMpp,
        weightHash: o.weightHash,
        appVersion: VERSION,
        extra: { level0_mpp: level0Mpp, min_tissue: grid.params.minTissue, grid_key: grid.key, grid_name: gridNameOfSet(set), tissue_method: grid.tissueMethod ?? 'otsu-saturation', encoder_key: set.encoderKey, precision: set.dtype }
      }
      const gridName = gridNameOfSet(set)
      const file = tridentPath(join(out, gridName), attrs)
      if (written.has(file)) {
        reply.skipped.push({ slide: slide.name, reason: `${set.dtype} copy of grid ${gridName}: its float32 set went to (or is already in) ${file}` })
        continue
      }
      let note: string | undefined
      if (existsSync(file) && !o.force) {
        // skip only what the manifest proves whole; a damaged file of ours is rewritten, a foreign one left alone
        const v = await manifest.verify(file)
        if (v.ok) {
          written.add(file)
          reply.skipped.push({ slide: slide.name, reason: `${file} already exported (size and SHA-256 match the manifest)`, verified: true })
          continue
        }
        if (!v.known) {
          reply.failed.push({ slide: slide.name, file, error: `${file} exists but is ${v.why}: not replaced (remove it, or use --force)` })
          continue
        }
        note = `replaced a damaged earlier export (${v.why})`
      }
      mkdirSync(dirname(file), { recursive: true })
      await writeTridentFile(file, data.vectors, set.dim, data.coords, attrs)
      await manifest.record(file, slide.name, set.id)
      written.add(file)
      reply.files.push({ slide: slide.name, file, count: set.count, dim: set.dim, grid: gridName, ...(note ? { note } : {}) })
    }
  }
  return reply
}
