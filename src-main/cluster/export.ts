// `tessera cluster export`: a self-contained work folder for feature extraction on a SLURM cluster: the model bundle
// (weights + manifest + SHA256SUMS), every slide's path, content key and grid (computed here, so nodes never build
// tissue masks and every shard cuts exactly the patches the workstation would), a shard plan balanced by patch count,
// and the batch scripts. Nothing in it refers to the project database.
import { randomUUID } from 'node:crypto'
import { chmodSync, mkdirSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import type { Db } from '../store/database'
import type { GridParams } from '../../src-shared/domain/grid'
import type { Slide } from '../../src-shared/domain/types'
import type { ModelRegistry } from '../models/registry'
import { SlidesRepo } from '../store/slides-repo'
import { sha256File, writeDurable, writeFolderAtomic } from '../models/atomic-files'
import { encoderKeyOf } from '../models/manifest'
import { DEFAULT_GRID_PARAMS, getOrComputeGrid } from '../tissue/grid-store'
import { packPatches } from '../tissue/grid'
import { VERSION } from '../core/version'
import { appRoot } from '../core/app-root'
import { SBATCH_DEFAULTS, submitScript, verifyScript } from './sbatch'
import { GRIDS_DIR, LOGS_DIR, MODEL_DIR, SHARDS_DIR, SUBMIT_FILE, VERIFY_FILE, WORK_FILE, WORK_FORMAT, readWorkManifest, shellQuote } from './work-folder'
import { SUMS_FILE } from '../models/bundle'
import type { SbatchOptions, WorkManifest, WorkSlide } from './work-folder'
import type { ClusterExportReply } from '../../src-shared/contracts/cluster'

export interface ClusterExportOptions {
  projectId: number
  model: string | number
  to: string
  shards?: number
  slideIds?: number[]
  grid?: Partial<GridParams>
  dtype?: 'float16' | 'float32'
  batchSize?: number
  readers?: number
  provider?: 'auto' | 'cpu' | 'cuda'
  sbatch?: Partial<SbatchOptions>
  force?: boolean
  signal?: AbortSignal
}

export type ClusterExportResult = ClusterExportReply

/** Default node command: this install's CLI under the same Node (override with --tessera-cmd or $TESSERA_BIN). */
export function defaultTesseraCommand(): string {
  return `${shellQuote(process.execPath)} ${shellQuote(join(appRoot(), 'bin', 'tessera.mjs'))}`
}

/** Longest-processing-time assignment: biggest slides first, each to the least loaded shard; deterministic. */
export function planShards(slides: { index: number; patches: number }[], n: number): { task: number; slides: number[]; patches: number }[] {
  const shards = Array.from({ length: n }, (_, task) => ({ task, slides: [] as number[], patches: 0 }))
  const order = [...slides].sort((a, b) => b.patches - a.patches || a.index - b.index)
  for (const s of order) {
    const target = shards.reduce((best, x) => (x.patches < best.patches || (x.patches === best.patches && x.slides.length < best.slides.length) ? x : best))
    target.slides.push(s.index)
    target.patches += s.patches
  }
  for (const s of shards) s.slides.sort((a, b) => a - b)
  return shards
}

/** Files an untouched export wrote (for --force: a folder holding shard results or anything else is not replaced). */
export function exportedFiles(dir: string): string[] | string {
  try {
    const work = readWorkManifest(dir)
    const sums = readFileSync(join(dir, MODEL_DIR, SUMS_FILE), 'utf8').split('\n').filter((l) => l.trim())
    const model = sums.map((l) => `${MODEL_DIR}/${l.replace(/^[0-9a-f]{64} [ *]/, '')}`)
    return [WORK_FILE, SUBMIT_FILE, VERIFY_FILE, `${MODEL_DIR}/${SUMS_FILE}`, ...model, ...work.slides.map((s) => s.gridFile)]
  } catch (e) {
    return `it is not an untouched cluster work folder (${(e as Error).message})`
  }
}

/** One slide of a work folder: its grid computed (or read) here, packed for the nodes; the caller writes `packed`. */
export async function exportSlide(db: Db, slide: Slide, index: number, params: GridParams, stems: Set<string>, signal?: AbortSignal): Promise<WorkSlide & { packed: Buffer }> {
  const grid = await getOrComputeGrid(db, slide, params, signal ? { signal } : {})
  let stem = slide.name.replace(/[^A-Za-z0-9._-]+/g, '_') || 'slide'
  if (stems.has(stem)) stem = `${stem}-${index}`
  stems.add(stem)
  const objective = slide.metadata['objectivePower']
  return {
    index,
    name: slide.name,
    fileStem: stem,
    path: slide.path,
    contentKey: slide.checksum as string,
    mppOverride: slide.mppOverride,
    width: slide.width ?? 1,
    height: slide.height ?? 1,
    objectivePower: typeof objective === 'number' && objective > 0 ? objective : null,
    grid: grid.info,
    patches: grid.patches.length,
    gridFile: `${GRIDS_DIR}/${String(index).padStart(5, '0')}.bin`,
    gridSha256: '',
    packed: packPatches(grid.patches)
  }
}

export async function exportWorkFolder(db: Db, models: ModelRegistry, o: ClusterExportOptions): Promise<ClusterExportResult> {
  const rec = models.resolve(o.model)
  const manifest = models.manifestOf(rec)
  models.weightsFileOf(rec)
  const all = new SlidesRepo(db).list(o.projectId)
  const missing = (o.slideIds ?? []).filter((id) => !all.some((s) => s.id === id))
  if (missing.length) throw new Error(`slides ${missing.join(', ')} are not in project ${o.projectId}`)
  const wanted = o.slideIds ? all.filter((s) => o.slideIds?.includes(s.id)) : all
  const notes: string[] = []
  for (const s of wanted.filter((x) => !(x.status === 'ok' && x.checksum))) notes.push(`slide "${s.name}" left out: ${s.error ?? `status ${s.status}`}`)
  const usable = wanted.filter((s) => s.status === 'ok' && s.checksum)
  if (usable.length === 0) throw new Error(`project ${o.projectId} has no readable slides to export`)
  const params: GridParams = { ...DEFAULT_GRID_PARAMS, ...o.grid }
  const requested = o.shards ?? Math.min(usable.length, 8)
  if (!Number.isInteger(requested) || requested < 1) throw new Error(`--shards must be a positive integer, got ${requested}`)
  const n = Math.min(requested, usable.length)
  if (n < requested) notes.push(`${requested} shards asked for ${usable.length} slide(s): using ${n} (a shard holds at least one slide)`)

  const stems = new Set<string>()
  const slides: (WorkSlide & { packed: Buffer })[] = []
  for (const [index, slide] of usable.entries()) {
    o.signal?.throwIfAborted()
    slides.push(await exportSlide(db, slide, index, params, stems, o.signal))
  }
  const shards = planShards(slides, n)
  const workId = randomUUID()
  const sbatch: SbatchOptions = { ...SBATCH_DEFAULTS, tesseraCommand: defaultTesseraCommand(), ...o.sbatch }
  const dir = resolve(o.to)
  await writeFolderAtomic(dir, o.force === true, async (tmp) => {
    await models.export(rec.id, manifest.weightsFormat, join(tmp, MODEL_DIR))
    for (const d of [GRIDS_DIR, SHARDS_DIR, LOGS_DIR]) mkdirSync(join(tmp, d))
    for (const s of slides) {
      writeDurable(join(tmp, s.gridFile), s.packed)
      s.gridSha256 = await sha256File(join(tmp, s.gridFile))
    }
    const work: WorkManifest = {
      format: WORK_FORMAT,
      workId,
      createdAt: new Date().toISOString(),
      appVersion: VERSION,
      kind: 'features',
      model: { name: rec.name, arch: manifest.arch, weightSha256: manifest.weightSha256, encoderKey: encoderKeyOf(manifest), bundle: MODEL_DIR },
      grid: params,
      dtype: o.dtype ?? 'float16',
      batchSize: o.batchSize ?? 32,
      readers: o.readers ?? 4,
      provider: o.provider ?? 'auto',
      slides: slides.map(({ packed: _packed, ...s }) => s),
      shards,
      sbatch
    }
    writeDurable(join(tmp, WORK_FILE), JSON.stringify(work, null, 2) + '\n')
    writeDurable(join(tmp, SUBMIT_FILE), submitScript(sbatch, workId, shards.length))
    writeDurable(join(tmp, VERIFY_FILE), verifyScript(sbatch, workId))
    chmodSync(join(tmp, SUBMIT_FILE), 0o755)
    chmodSync(join(tmp, VERIFY_FILE), 0o755)
  }, exportedFiles)
  return {
    dir,
    workId,
    slides: slides.length,
    patches: slides.reduce((a, s) => a + s.patches, 0),
    shards: shards.map((s) => ({ task: s.task, slides: s.slides.length, patches: s.patches })),
    notes,
    submit: `cd ${shellQuote(dir)} && sbatch ${SUBMIT_FILE}`
  }
}
