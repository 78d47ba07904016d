// `tessera cluster import DIR`: verify every shard of a work folder, then fill the feature cache exactly as a local
// `features extract` would (same key: content key × grid key × encoder key × precision). Verification runs to the end
// before the first write: a shard of another work, model or grid, a file whose hash or coordinates do not match, or a
// project grid that drifted since the export refuses the whole import and the cache is left as it was. Tasks that are
// missing, still running, failed or cancelled are reported with the sbatch line that re-runs them; the finished
// shards are imported.
import type { Db } from '../store/database'
import type { Slide } from '../../src-shared/domain/types'
import type { SlideOpener } from '../slides/service/handles'
import { join } from 'node:path'
import { existsSync, readFileSync } from 'node:fs'
import { FeatureCache } from '../store/feature-cache'
import { SlidesRepo } from '../store/slides-repo'
import { sha256File } from '../models/atomic-files'
import { getOrComputeGrid } from '../tissue/grid-store'
import { unpackPatches } from '../tissue/grid'
import { Hdf5ReaderSession } from '../interop/hdf5-isolated'
import { readShardManifest, readWorkManifest, rerunLine, shardDir } from './work-folder'
import type { ShardManifest, ShardSlide, WorkManifest, WorkSlide } from './work-folder'
import type { ClusterImportReply } from '../../src-shared/contracts/cluster'

export class ClusterImportRefused extends Error {
  constructor(dir: string, problem: string, target = 'the feature cache') {
    super(`${dir}: import refused, nothing was written to ${target}: ${problem}`)
    this.name = 'ClusterImportRefused'
  }
}

export type ClusterImportResult = ClusterImportReply

interface Verified {
  task: number
  work: WorkSlide
  entry: ShardSlide
  file: string
  dbSlide: Slide
  manifest: ShardManifest
  data: { vectors: Float32Array; dim: number } | null
}

/** Decoded vectors kept between the verify and write passes up to this many bytes; the rest is read twice. */
const KEEP_BYTES = 512 * 2 ** 20

const sameGrid = (a: WorkManifest['grid'], b: WorkManifest['grid']): boolean =>
  a.targetMpp === b.targetMpp && a.patchSize === b.patchSize && a.overlap === b.overlap && a.minTissue === b.minTissue

/** Provenance of one shard manifest against the work; returns the refusal text, or null when it belongs. */
export function provenanceProblem(work: WorkManifest, m: ShardManifest): string | null {
  const t = `shard task ${m.task}`
  if (m.modelSha256 !== work.model.weightSha256) {
    return `${t} was extracted with model weights ${m.modelSha256.slice(0, 12)}…, but this work's model "${work.model.name}" has ${work.model.weightSha256.slice(0, 12)}…`
  }
  if (m.encoderKey !== work.model.encoderKey) return `${t} has encoder key ${m.encoderKey}, this work ${work.model.encoderKey} (other preprocessing)`
  if (!sameGrid(m.grid, work.grid)) {
    const g = (x: WorkManifest['grid']): string => `${x.targetMpp} µm/px, ${x.patchSize} px, overlap ${x.overlap}, min tissue ${x.minTissue}`
    return `${t} was cut on another grid (${g(m.grid)}) than this work (${g(work.grid)})`
  }
  if (m.workId !== work.workId) return `${t} belongs to another export (work ${m.workId}, this folder is work ${work.workId})`
  return null
}

function gridCoords(dir: string, s: WorkSlide): Int32Array {
  const patches = unpackPatches(readFileSync(join(dir, s.gridFile)))
  const c = new Int32Array(patches.length * 2)
  patches.forEach((p, i) => c.set([p.x, p.y], 2 * i))
  return c
}

/** Read a shard file and check it against the work: attributes, row count, and coordinates in grid order. */
async function readChecked(reader: Hdf5ReaderSession, dir: string, v: Omit<Verified, 'data'>, coords: Int32Array): Promise<{ vectors: Float32Array; dim: number }> {
  if ((await sha256File(v.file)) !== v.entry.sha256) throw new ClusterImportRefused(dir, `${v.file}: does not match its SHA-256 in the task ${v.task} manifest (changed or corrupted)`)
  const f = await reader.read(v.file)
  const problem =
    f.attrs['weight_hash'] !== v.manifest.modelSha256
      ? `weight_hash attribute ${String(f.attrs['weight_hash']).slice(0, 12)}… is not the work's model`
      : f.attrs['grid_key'] !== v.work.grid.key
        ? `grid_key attribute ${String(f.attrs['grid_key'])} is not the exported grid ${v.work.grid.key}`
        : f.count !== v.work.patches || f.dim !== v.entry.dim
          ? `${f.count}×${f.dim} features, expected ${v.work.patches}×${v.entry.dim}`
          : f.coordsUnit !== 'px' || f.coords.some((x, i) => x !== coords[i])
            ? 'coordinates are not the exported grid patches in grid order'
            : null
  if (problem) throw new ClusterImportRefused(dir, `${v.file}: ${problem}`)
  return { vectors: f.features, dim: f.dim }
}

export async function importWorkFolder(db: Db, open: SlideOpener, dir: string, log?: (line: string) => void): Promise<ClusterImportResult> {
  const reader = new Hdf5ReaderSession()
  try {
    return await importWith(reader, db, open, dir, log)
  } finally {
    reader.close()
  }
}

async function importWith(reader: Hdf5ReaderSession, db: Db, open: SlideOpener, dir: string, log?: (line: string) => void): Promise<ClusterImportResult> {
  const work = readWorkManifest(dir)
  const cache = new FeatureCache(db)
  const slidesRepo = new SlidesRepo(db)
  const result: ClusterImportResult = { dir, workId: work.workId, model: work.model.name, complete: false, imported: [], alreadyCached: [], incompleteTasks: [], failedSlides: [], notInDatabase: [], rerun: null }
  const verified: Verified[] = []
  let kept = 0
  // pass 1: verify everything, write nothing; provenance of every manifest first (cheap), then the files
  const manifests = work.shards.map((plan) => ({ plan, m: readShardManifest(dir, plan.task) }))
  for (const { plan, m } of manifests) {
    if (m && m.task !== plan.task) throw new ClusterImportRefused(dir, `${shardDir(dir, plan.task)} holds the manifest of task ${m.task}`)
    const problem = m ? provenanceProblem(work, m) : null
    if (problem) throw new ClusterImportRefused(dir, problem)
  }
  for (const { plan, m } of manifests) {
    if (!m) {
      result.incompleteTasks.push({ task: plan.task, reason: 'no shard manifest: the task never started (or is still pending)' })
      continue
    }
    if (m.status === 'running') result.incompleteTasks.push({ task: plan.task, reason: `still running or killed (started ${m.startedAt} on ${m.host}, last update ${m.updatedAt}, ${m.slides.filter((x) => x.status === 'done').length}/${plan.slides.length} slides done)` })
    else if (m.status === 'cancelled' || (m.status === 'failed' && m.slides.length < plan.slides.length)) result.incompleteTasks.push({ task: plan.task, reason: `${m.status}: ${m.error ?? 'no reason recorded'}` })
    for (const idx of plan.slides) {
      const s = work.slides.find((x) => x.index === idx) as WorkSlide
      const entry = m.slides.find((x) => x.index === idx)
      if (!entry) continue
      if (entry.status === 'failed') {
        result.failedSlides.push({ task: plan.task, slide: s.name, error: entry.error ?? 'failed' })
        continue
      }
      if (entry.gridKey !== s.grid.key) throw new ClusterImportRefused(dir, `task ${plan.task}, slide "${s.name}": cut on grid ${entry.gridKey}, the work's grid is ${s.grid.key}`)
      const file = join(shardDir(dir, plan.task), entry.file ?? '')
      if (!entry.file || !existsSync(file)) throw new ClusterImportRefused(dir, `task ${plan.task}, slide "${s.name}": its file ${file} is missing`)
      const coords = gridCoords(dir, s)
      const candidates = slidesRepo.listByChecksum(s.contentKey)
      if (candidates.length === 0) {
        result.notInDatabase.push({ slide: s.name, contentKey: s.contentKey })
        continue
      }
      let dbSlide: Slide | null = null
      for (const c of candidates) {
        const g = await getOrComputeGrid(db, c, s.grid.params, { open })
        if (g.info.key === s.grid.key && g.patches.length === s.patches && g.patches.every((p, i) => p.x === coords[2 * i] && p.y === coords[2 * i + 1])) {
          dbSlide = c
          break
        }
      }
      if (!dbSlide) throw new ClusterImportRefused(dir, `slide "${s.name}": the project's grid no longer matches the exported grid ${s.grid.key} (mpp override or grid changed since the export); export again`)
      const v: Omit<Verified, 'data'> = { task: plan.task, work: s, entry, file, dbSlide, manifest: m }
      const data = await readChecked(reader, dir, v, coords)
      const keep = kept + data.vectors.byteLength <= KEEP_BYTES
      if (keep) kept += data.vectors.byteLength
      verified.push({ ...v, data: keep ? data : null })
    }
  }
  // pass 2: write, one transaction per slide (a kill here leaves whole slides, as a local extraction would)
  for (const v of verified) {
    const key = { slideChecksum: v.work.contentKey, gridKey: v.work.grid.key, encoderKey: work.model.encoderKey, dtype: work.dtype }
    if (cache.isComplete(key)) {
      result.alreadyCached.push({ slide: v.work.name, task: v.task })
      continue
    }
    const coords = gridCoords(dir, v.work)
    const data = v.data ?? (await readChecked(reader, dir, v, coords))
    cache.writeSlide(key, {
      dim: data.dim,
      vectors: data.vectors,
      coords,
      slideName: v.dbSlide.name,
      producedBy: {
        jobId: null,
        model: work.model.name,
        arch: work.model.arch,
        weightSha256: work.model.weightSha256,
        backend: v.manifest.backend,
        grid: v.work.grid,
        slideWidth: v.work.width,
        slideHeight: v.work.height,
        objectivePower: v.work.objectivePower,
        cluster: { workId: work.workId, task: v.task, host: v.manifest.host, slurmJobId: v.manifest.slurm.jobId, file: v.file, seconds: v.entry.seconds }
      }
    })
    result.imported.push({ slide: v.work.name, task: v.task, count: v.work.patches, dim: data.dim })
    log?.(`imported ${v.work.name} (task ${v.task}, ${v.work.patches} patches)`)
  }
  const rerun = [...new Set([...result.incompleteTasks.map((t) => t.task), ...result.failedSlides.map((f) => f.task)])]
  result.rerun = rerun.length ? rerunLine(dir, rerun) : null
  result.complete = rerun.length === 0
  return result
}
