// The cluster work folder of one MCM+KD fine-tuning run (a one-task SLURM job): its manifest (project, slides with
// their grids and cached teacher features, student, teacher, the full parsed config, the held-out split decided on the
// workstation) and what the node writes under run/ (state, loss log, result, checkpoints, the fine-tuned bundle).
// Plain files only: nothing here points at the project database.
import { appendFileSync, existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { z } from 'zod'
import { SbatchOptionsSchema, WORK_FILE, WORK_HEADER, WorkSlideSchema, issues, readJson, sha } from './work-folder'
import type { LossPoint, McmEvaluation, McmInspection } from '../../src-shared/contracts/train'

export const TRAIN_FORMAT = 'tessera-cluster-train/1'
export const TRAIN_STATE_FORMAT = 'tessera-cluster-train-state/1'
export const TEACHER_DIR = 'teacher'
export const STUDENT_DIR = 'student'
/** the run folder on the node (runDir of ml/mcm/run-mcm.ts: checkpoints/<phase>/gen-*, model/) */
export const RUN_DIR = 'run'
export const STATE_FILE = 'state.json'
export const LOG_FILE = 'log.jsonl'
export const RESULT_FILE = 'result.json'

export const TrainSlideSchema = WorkSlideSchema.extend({
  /** the slide's name in the run (as the local data source names it: held-out split and inspection use it) */
  runName: z.string().min(1),
  patient: z.string().nullable(),
  /** the cached teacher features as raw little-endian float32, patches × dim, in grid order */
  teacherFile: z.string().min(1),
  teacherSha256: sha,
  teacherDim: z.number().int().positive()
})
export type TrainSlide = z.infer<typeof TrainSlideSchema>

export const TrainManifestSchema = z.object({
  format: z.literal(TRAIN_FORMAT),
  ...WORK_HEADER,
  kind: z.literal('train'),
  project: z.object({ id: z.number().int().positive(), name: z.string() }),
  student: z.object({ name: z.string().min(1), bundle: z.literal(STUDENT_DIR).nullable(), weightSha256: sha.nullable() }),
  teacher: z.object({ name: z.string().min(1), weightSha256: sha, encoderKey: z.string() }),
  /** the full parsed run config (McmConfig), exactly as a local run would get it */
  config: z.record(z.string(), z.unknown()),
  split: z.object({ train: z.array(z.string()).min(1), heldOut: z.array(z.string()).min(1) }),
  slides: z.array(TrainSlideSchema).min(2),
  sbatch: SbatchOptionsSchema
})
export type TrainManifest = z.infer<typeof TrainManifestSchema>

export const TrainStateSchema = z.object({
  format: z.literal(TRAIN_STATE_FORMAT),
  workId: z.string(),
  status: z.enum(['running', 'complete', 'failed', 'cancelled']),
  host: z.string(),
  pid: z.number().int(),
  slurmJobId: z.string().nullable(),
  backend: z.string().nullable(),
  /** how many times the job started (a re-submission after a dead node resumes from the last checkpoint) */
  starts: z.number().int().min(1),
  startedAt: z.string(),
  updatedAt: z.string(),
  finishedAt: z.string().nullable(),
  error: z.string().nullable()
})
export type TrainState = z.infer<typeof TrainStateSchema>

/** What a finished job leaves in run/result.json (the fine-tuned bundle itself is run/model/). */
export interface TrainResult {
  workId: string
  evaluation: McmEvaluation
  inspection: McmInspection
  steps: Record<string, number>
  trainSlides: string[]
  heldOutSlides: string[]
  /** relative to run/ */
  weightsFile: string
  weightsHash: string
  manifest: Record<string, unknown>
}

/** One line of run/log.jsonl: appended as the run goes; a resumed phase rewrites the steps after its checkpoint. */
export type TrainLogLine = { t: 'loss'; p: LossPoint } | { t: 'checkpoint'; phase: LossPoint['phase']; step: number; gen: string; manifestSha256: string } | { t: 'notice'; m: string }

/** The kind of a work folder, from its work.json (both kinds share the file name). */
export function workKind(dir: string): 'features' | 'train' {
  const file = join(dir, WORK_FILE)
  if (!existsSync(file)) throw new Error(`${dir}: not a Tessera cluster work folder (no ${WORK_FILE}; create one with \`tessera cluster export\` or \`tessera cluster export-train\`)`)
  const v = readJson(file) as { kind?: unknown }
  return v && typeof v === 'object' && v.kind === 'train' ? 'train' : 'features'
}

export function readTrainManifest(dir: string): TrainManifest {
  const file = join(dir, WORK_FILE)
  if (workKind(dir) !== 'train') throw new Error(`${file}: a feature-extraction work folder, not a fine-tuning one`)
  const r = TrainManifestSchema.safeParse(readJson(file))
  if (!r.success) throw new Error(`${file}: invalid fine-tuning work manifest: ${issues(r.error)}`)
  return r.data
}

export function readTrainState(dir: string): TrainState | null {
  const file = join(dir, RUN_DIR, STATE_FILE)
  if (!existsSync(file)) return null
  const r = TrainStateSchema.safeParse(readJson(file))
  if (!r.success) throw new Error(`${file}: invalid job state: ${issues(r.error)}`)
  return r.data
}

export function appendLog(dir: string, line: TrainLogLine): void {
  appendFileSync(join(dir, RUN_DIR, LOG_FILE), JSON.stringify(line) + '\n')
}

/**
 * The log folded as the database would hold it: the last loss point of each (phase, step) wins (a resumed phase
 * repeats the steps after its checkpoint), one checkpoint per (phase, step). A torn last line (a kill mid-append) is
 * dropped; a torn line elsewhere is an error.
 */
export function readLog(dir: string): { loss: LossPoint[]; checkpoints: Extract<TrainLogLine, { t: 'checkpoint' }>[] } {
  const file = join(dir, RUN_DIR, LOG_FILE)
  const loss = new Map<string, LossPoint>()
  const cps = new Map<string, Extract<TrainLogLine, { t: 'checkpoint' }>>()
  if (!existsSync(file)) return { loss: [], checkpoints: [] }
  const lines = readFileSync(file, 'utf8').split('\n')
  for (const [i, text] of lines.entries()) {
    if (!text.trim()) continue
    let l: TrainLogLine
    try {
      l = JSON.parse(text) as TrainLogLine
    } catch {
      if (i >= lines.length - 2) continue
      throw new Error(`${file}: line ${i + 1} is not JSON`)
    }
    if (l.t === 'loss') loss.set(`${l.p.phase}/${l.p.step}`, l.p)
    else if (l.t === 'checkpoint') cps.set(`${l.phase}/${l.step}`, l)
  }
  const order = (a: { phase: string; step: number }, b: { phase: string; step: number }): number => a.phase.localeCompare(b.phase) || a.step - b.step
  return { loss: [...loss.values()].sort(order), checkpoints: [...cps.values()].sort(order) }
}
