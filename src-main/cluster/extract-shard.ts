// `tessera features extract-shard DIR --task T`: one array task on a cluster node, headless and without a database.
// Verifies the model bundle (SHA256SUMS), each slide's content key and grid geometry, then writes one TRIDENT-layout
// HDF5 per slide (temp + rename) and rewrites the shard manifest after every slide (temp + rename), so a killed task
// leaves finished slides, their hashes and no half file. A re-run keeps finished slides whose file hash still matches.
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs'
import { hostname } from 'node:os'
import { join, relative } from 'node:path'
import type { ModelManifest } from '../models/manifest'
import type { PatchEncoder } from '../interop/onnx-encoder'
import type { Preprocessing } from '../models/preprocess'
import { readBundleManifest } from '../models/bundle'
import { sha256File } from '../models/atomic-files'
import { encoderKeyOf } from '../models/manifest'
import { openWorkSlide, type PathMap } from './node-slide'
import { readPatch } from '../tissue/read-patch'
import { tridentPath, writeTridentFile } from '../interop/hdf5'
import { encodePatches } from '../workers/features-extract-loop'
import { VERSION } from '../core/version'
import { SHARD_FORMAT, readGridFile, readShardManifest, readWorkManifest, shardDir, shardManifestPath, writeJsonAtomic } from './work-folder'
import type { ShardManifest, ShardSlide, WorkManifest, WorkSlide } from './work-folder'

export type EncoderOpener = (manifest: ModelManifest, weightsFile: string, opts: { provider: 'auto' | 'cpu' | 'cuda'; threads?: number }) => Promise<PatchEncoder>

export interface ExtractShardOptions {
  dir: string
  task: number
  openEncoder: EncoderOpener
  threads?: number
  provider?: 'auto' | 'cpu' | 'cuda'
  /** rewrite slide paths: a prefix as seen on the workstation → as mounted on the node */
  pathMap?: PathMap
  signal?: AbortSignal
  log?(line: string): void
}

export interface ExtractShardResult {
  task: number
  status: ShardManifest['status']
  computed: number
  skipped: number
  failed: { slide: string; error: string }[]
  patchesEncoded: number
  seconds: number
  backend: string | null
  manifest: string
}

/** Remove temp files a killed run left (writes are temp + rename, so these are never complete files). */
function removeStaleTemps(dir: string): number {
  let n = 0
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name)
    if (e.isDirectory()) n += removeStaleTemps(p)
    else if (/^\..*\.tmp-/.test(e.name)) {
      rmSync(p, { force: true })
      n++
    }
  }
  return n
}

/** A finished slide of an earlier run that can be kept: same work, file present, hash unchanged. */
async function stillValid(out: string, prev: ShardSlide | undefined, s: WorkSlide): Promise<boolean> {
  if (!prev || prev.status !== 'done' || !prev.file || !prev.sha256 || prev.gridKey !== s.grid.key) return false
  const file = join(out, prev.file)
  return existsSync(file) && (await sha256File(file)) === prev.sha256
}

export function tridentAttrs(work: WorkManifest, s: WorkSlide, task: number): Parameters<typeof writeTridentFile>[4] {
  const g = s.grid
  return {
    patchSize: g.params.patchSize,
    patchSizeLevel0: g.patchSizeLevel0,
    overlap: g.params.overlap,
    targetMagnification: Number((10 / g.params.targetMpp).toFixed(2)),
    level0Magnification: s.objectivePower ?? Number((10 / g.level0Mpp).toFixed(2)),
    level0Width: s.width,
    level0Height: s.height,
    name: s.fileStem,
    encoder: work.model.name,
    mpp: g.params.targetMpp,
    weightHash: work.model.weightSha256,
    appVersion: VERSION,
    extra: { level0_mpp: g.level0Mpp, min_tissue: g.params.minTissue, grid_key: g.key, encoder_key: work.model.encoderKey, work_id: work.workId, task }
  }
}

async function extractSlide(work: WorkManifest, o: ExtractShardOptions, s: WorkSlide, encoder: PatchEncoder, prep: Preprocessing, out: string): Promise<Omit<ShardSlide, 'seconds' | 'patchesPerSecond'>> {
  const patches = readGridFile(o.dir, s)
  const source = await openWorkSlide(s, o.pathMap, o.signal)
  try {
    const { vectors, dim } = await encodePatches({
      patches,
      read: (p, signal) => readPatch(source, s.grid, p, signal),
      encoder,
      preprocessing: prep,
      batchSize: work.batchSize,
      readers: work.readers,
      signal: o.signal ?? new AbortController().signal
    })
    const coords = new Int32Array(patches.length * 2)
    patches.forEach((p, j) => coords.set([p.x, p.y], j * 2))
    const d = patches.length > 0 ? dim : Math.max(1, encoder.outputDim)
    const file = tridentPath(out, { ...tridentAttrs(work, s, o.task) })
    mkdirSync(join(file, '..'), { recursive: true })
    await writeTridentFile(file, vectors, d, coords, tridentAttrs(work, s, o.task))
    return { index: s.index, name: s.name, status: 'done', file: relative(out, file), sha256: await sha256File(file), bytes: statSync(file).size, count: patches.length, dim: d, gridKey: s.grid.key, error: null }
  } finally {
    await source.close()
  }
}

export async function extractShard(o: ExtractShardOptions): Promise<ExtractShardResult> {
  const work = readWorkManifest(o.dir)
  const plan = work.shards.find((x) => x.task === o.task)
  if (!plan) throw new Error(`${o.dir}: task ${o.task} is not in the shard plan (tasks 0-${work.shards.length - 1})`)
  const out = shardDir(o.dir, o.task)
  mkdirSync(out, { recursive: true })
  const prev = readShardManifest(o.dir, o.task)
  if (prev && prev.workId !== work.workId) throw new Error(`${shardManifestPath(o.dir, o.task)}: belongs to work ${prev.workId}, not ${work.workId}; remove the shard folder first`)
  const removed = removeStaleTemps(out)
  if (removed) o.log?.(`removed ${removed} temp file(s) of an interrupted run`)
  const started = Date.now()
  const now = (): string => new Date().toISOString()
  const env = process.env
  const m: ShardManifest = {
    format: SHARD_FORMAT,
    workId: work.workId,
    task: o.task,
    modelSha256: work.model.weightSha256,
    encoderKey: work.model.encoderKey,
    grid: work.grid,
    status: 'running',
    host: hostname(),
    pid: process.pid,
    slurm: { jobId: env['SLURM_JOB_ID'] ?? null, arrayJobId: env['SLURM_ARRAY_JOB_ID'] ?? null, arrayTaskId: env['SLURM_ARRAY_TASK_ID'] ?? null },
    backend: null,
    notes: [],
    startedAt: now(),
    updatedAt: now(),
    finishedAt: null,
    seconds: 0,
    slides: [],
    error: null
  }
  const save = (): void => {
    m.updatedAt = now()
    m.seconds = (Date.now() - started) / 1000
    writeJsonAtomic(shardManifestPath(o.dir, o.task), m)
  }
  const slides = plan.slides.map((i) => work.slides.find((s) => s.index === i) as WorkSlide)
  const todo: WorkSlide[] = []
  for (const s of slides) {
    const old = prev?.slides.find((x) => x.index === s.index)
    if (old && (await stillValid(out, old, s))) m.slides.push(old)
    else todo.push(s)
  }
  const skipped = m.slides.length
  save()
  let encoder: PatchEncoder | null = null
  let prep: Preprocessing | null = null
  let encoded = 0
  try {
    if (todo.length) {
      const bundleDir = join(o.dir, work.model.bundle)
      const bundle = await readBundleManifest(bundleDir)
      if (bundle.manifest.weightSha256 !== work.model.weightSha256 || encoderKeyOf(bundle.manifest) !== work.model.encoderKey) {
        throw new Error(`${bundleDir}: the model bundle (${bundle.manifest.weightSha256.slice(0, 12)}…) is not the model of this work (${work.model.weightSha256.slice(0, 12)}…)`)
      }
      encoder = await o.openEncoder(bundle.manifest, join(bundleDir, bundle.weightsFile), { provider: o.provider ?? work.provider, ...(o.threads ? { threads: o.threads } : {}) })
      prep = { inputSize: bundle.manifest.inputSize, mean: bundle.manifest.mean, std: bundle.manifest.std }
      m.backend = encoder.backend
      m.notes = encoder.notes ?? []
    }
    for (const s of todo) {
      o.signal?.throwIfAborted()
      const t0 = Date.now()
      o.log?.(`task ${o.task}: slide ${s.name} (${s.patches} patches)`)
      let entry: ShardSlide
      try {
        const r = await extractSlide(work, o, s, encoder as PatchEncoder, prep as Preprocessing, out)
        const seconds = (Date.now() - t0) / 1000
        entry = { ...r, seconds, patchesPerSecond: seconds > 0 ? r.count / seconds : null }
        encoded += r.count
      } catch (e) {
        if (o.signal?.aborted) throw e
        entry = { index: s.index, name: s.name, status: 'failed', file: null, sha256: null, bytes: null, count: 0, dim: 0, gridKey: s.grid.key, seconds: (Date.now() - t0) / 1000, patchesPerSecond: null, error: (e as Error).message }
      }
      m.slides = [...m.slides.filter((x) => x.index !== s.index), entry].sort((a, b) => a.index - b.index)
      save()
    }
    const failed = m.slides.filter((x) => x.status === 'failed')
    m.status = failed.length ? 'failed' : 'complete'
    m.error = failed.length ? `${failed.length} slide(s) failed: ${failed.map((f) => `${f.name}: ${f.error}`).join('; ')}` : null
  } catch (e) {
    m.status = o.signal?.aborted ? 'cancelled' : 'failed'
    m.error = o.signal?.aborted ? 'stopped by a signal (scancel, time limit or node shutdown)' : (e as Error).message
    throw e
  } finally {
    m.finishedAt = now()
    removeStaleTemps(out)
    save()
    await encoder?.close()
  }
  return {
    task: o.task,
    status: m.status,
    computed: m.slides.filter((x) => x.status === 'done').length - skipped,
    skipped,
    failed: m.slides.filter((x) => x.status === 'failed').map((x) => ({ slide: x.name, error: x.error ?? '' })),
    patchesEncoded: encoded,
    seconds: m.seconds,
    backend: m.backend,
    manifest: shardManifestPath(o.dir, o.task)
  }
}
