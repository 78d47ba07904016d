// The cluster work folder: its layout, the work manifest (slides, grids, model, shard plan) and the shard manifests
// the nodes write. Plain files only: nothing here points at the project database (SQLite must not be opened over NFS).
import { createHash } from 'node:crypto'
import { existsSync, readFileSync, renameSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import { z } from 'zod'
import { writeDurable, fsyncPath } from '../models/atomic-files'
import { describeJsonError } from '../core/safe-open'
import { unpackPatches } from '../tissue/grid'
import type { GridPatch } from '../../src-shared/domain/grid'

export const WORK_FORMAT = 'tessera-cluster-work/1'
export const SHARD_FORMAT = 'tessera-cluster-shard/1'
export const WORK_FILE = 'work.json'
export const MODEL_DIR = 'model'
export const GRIDS_DIR = 'grids'
export const SHARDS_DIR = 'shards'
export const LOGS_DIR = 'logs'
export const SUBMIT_FILE = 'submit.sbatch'
export const VERIFY_FILE = 'verify.sbatch'

export const sha = z.string().regex(/^[0-9a-f]{64}$/)
export const GridParamsSchema = z.object({ targetMpp: z.number().positive(), patchSize: z.number().int().min(8), overlap: z.number().int().min(0), minTissue: z.number().min(0).max(1) })
export const GridInfoSchema = z.object({
  params: GridParamsSchema,
  level0Mpp: z.number().positive(),
  patchSizeLevel0: z.number().int().positive(),
  stepLevel0: z.number().int().positive(),
  readLevel: z.number().int().min(0),
  readDownsample: z.number().positive(),
  cols: z.number().int().min(0),
  rows: z.number().int().min(0),
  key: z.string().min(1),
  name: z.string().optional(),
  tissueMethod: z.string().optional()
})

export const SbatchOptionsSchema = z.object({
  partition: z.string().nullable(),
  account: z.string().nullable(),
  gpus: z.number().int().min(0),
  cpus: z.number().int().min(1),
  time: z.string().regex(/^[0-9:-]+$/),
  mem: z.string().regex(/^[0-9]+[KMGT]?$/),
  dependency: z.string().nullable(),
  /** how a node starts the CLI; $TESSERA_BIN overrides it in the script */
  tesseraCommand: z.string().min(1)
})
export type SbatchOptions = z.infer<typeof SbatchOptionsSchema>

export const WorkSlideSchema = z.object({
  index: z.number().int().min(0),
  name: z.string().min(1),
  /** file name stem of its HDF5 (the slide name, made unique within the work) */
  fileStem: z.string().regex(/^[A-Za-z0-9._-]+$/),
  path: z.string().min(1),
  /** the slide's content key (ht1:…), checked on the node before any patch is read */
  contentKey: z.string().min(1),
  mppOverride: z.number().positive().nullable(),
  width: z.number().int().positive(),
  height: z.number().int().positive(),
  objectivePower: z.number().positive().nullable(),
  grid: GridInfoSchema,
  patches: z.number().int().min(0),
  /** packed patches (grid.ts packPatches: 20 bytes each) computed on the workstation, and their hash */
  gridFile: z.string().min(1),
  gridSha256: sha
})
export type WorkSlide = z.infer<typeof WorkSlideSchema>

/** Fields every work folder's manifest starts with (feature shards and fine-tuning runs alike). */
export const WORK_HEADER = {
  workId: z.string().regex(/^[0-9a-f-]{36}$/),
  createdAt: z.string(),
  appVersion: z.string()
}

export const WorkManifestSchema = z.object({
  format: z.literal(WORK_FORMAT),
  ...WORK_HEADER,
  kind: z.literal('features'),
  model: z.object({ name: z.string(), arch: z.string(), weightSha256: sha, encoderKey: z.string(), bundle: z.literal(MODEL_DIR) }),
  grid: GridParamsSchema,
  /** cache precision on import (files hold float32) */
  dtype: z.enum(['float16', 'float32']),
  batchSize: z.number().int().min(1).max(1024),
  readers: z.number().int().min(1).max(32),
  provider: z.enum(['auto', 'cpu', 'cuda']),
  slides: z.array(WorkSlideSchema).min(1),
  /** shard plan: array task t extracts slides[shards[t].slides] */
  shards: z.array(z.object({ task: z.number().int().min(0), slides: z.array(z.number().int().min(0)).min(1), patches: z.number().int().min(0) })).min(1),
  sbatch: SbatchOptionsSchema
})
export type WorkManifest = z.infer<typeof WorkManifestSchema>

export const ShardSlideSchema = z.object({
  index: z.number().int().min(0),
  name: z.string(),
  status: z.enum(['done', 'failed']),
  /** relative to the shard folder */
  file: z.string().nullable(),
  sha256: sha.nullable(),
  bytes: z.number().int().min(0).nullable(),
  count: z.number().int().min(0),
  dim: z.number().int().min(0),
  gridKey: z.string(),
  seconds: z.number().min(0),
  patchesPerSecond: z.number().nullable(),
  error: z.string().nullable()
})
export type ShardSlide = z.infer<typeof ShardSlideSchema>

export const ShardManifestSchema = z.object({
  format: z.literal(SHARD_FORMAT),
  workId: z.string(),
  task: z.number().int().min(0),
  modelSha256: sha,
  encoderKey: z.string(),
  grid: GridParamsSchema,
  status: z.enum(['running', 'complete', 'failed', 'cancelled']),
  host: z.string(),
  pid: z.number().int(),
  slurm: z.object({ jobId: z.string().nullable(), arrayJobId: z.string().nullable(), arrayTaskId: z.string().nullable() }),
  backend: z.string().nullable(),
  notes: z.array(z.string()),
  startedAt: z.string(),
  updatedAt: z.string(),
  finishedAt: z.string().nullable(),
  seconds: z.number().min(0),
  slides: z.array(ShardSlideSchema),
  error: z.string().nullable()
})
export type ShardManifest = z.infer<typeof ShardManifestSchema>

export const shardDir = (dir: string, task: number): string => join(dir, SHARDS_DIR, `task-${String(task).padStart(3, '0')}`)
export const shardManifestPath = (dir: string, task: number): string => join(shardDir(dir, task), 'manifest.json')

/** JSON written atomically: temp sibling, fsync, rename, fsync the folder. A kill leaves the old or the new file. */
export function writeJsonAtomic(file: string, value: unknown): void {
  const tmp = join(dirname(file), `.${basename(file)}.tmp-${process.pid}`)
  writeDurable(tmp, JSON.stringify(value, null, 2) + '\n')
  renameSync(tmp, file)
  fsyncPath(dirname(file))
}

export function readJson(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as unknown
  } catch (e) {
    throw new Error(`${file}: not readable JSON (${describeJsonError(e)})`)
  }
}

export const issues = (e: z.ZodError): string => e.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).slice(0, 5).join('; ')

export function readWorkManifest(dir: string): WorkManifest {
  const file = join(dir, WORK_FILE)
  if (!existsSync(file)) throw new Error(`${dir}: not a Tessera cluster work folder (no ${WORK_FILE}; create one with \`tessera cluster export\`)`)
  const r = WorkManifestSchema.safeParse(readJson(file))
  if (!r.success) throw new Error(`${file}: invalid work manifest: ${issues(r.error)}`)
  return r.data
}

/** The shard manifest of a task, or null when the task never wrote one. */
export function readShardManifest(dir: string, task: number): ShardManifest | null {
  const file = shardManifestPath(dir, task)
  if (!existsSync(file)) return null
  const r = ShardManifestSchema.safeParse(readJson(file))
  if (!r.success) throw new Error(`${file}: invalid shard manifest: ${issues(r.error)}`)
  return r.data
}

/** The exact command that (re)submits some tasks of the work folder's array. */
export function rerunLine(dir: string, tasks: number[]): string {
  return `sbatch --chdir=${shellQuote(dir)} --array=${compactRanges(tasks)} ${shellQuote(join(dir, SUBMIT_FILE))}`
}

/** 0,1,2,5,7,8 → "0-2,5,7-8" (sbatch --array syntax). */
export function compactRanges(values: number[]): string {
  const v = [...new Set(values)].sort((a, b) => a - b)
  const parts: string[] = []
  for (let i = 0; i < v.length; ) {
    let j = i
    while (j + 1 < v.length && (v[j + 1] as number) === (v[j] as number) + 1) j++
    parts.push(j > i ? `${v[i]}-${v[j]}` : String(v[i]))
    i = j + 1
  }
  return parts.join(',')
}

export function shellQuote(s: string): string {
  return /^[A-Za-z0-9_./:=@%+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`
}

/** The exported grid patches of a slide, checked against the hash and count in the work manifest. */
export function readGridFile(dir: string, s: WorkSlide): GridPatch[] {
  const file = join(dir, s.gridFile)
  if (!existsSync(file)) throw new Error(`${file}: grid file of slide "${s.name}" is missing`)
  const bytes = readFileSync(file)
  if (createHash('sha256').update(bytes).digest('hex') !== s.gridSha256) throw new Error(`${file}: grid file of slide "${s.name}" does not match its hash in work.json`)
  const patches = unpackPatches(bytes)
  if (patches.length !== s.patches) throw new Error(`${file}: holds ${patches.length} patches, work.json says ${s.patches}`)
  return patches
}
