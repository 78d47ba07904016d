// MCM+KD run rows: config, loss curve, checkpoints, evaluation and inspection (written by the train.mcm job process).
import type { Db } from './database'
import type {
  CheckpointInfo,
  LossPoint,
  McmConfig,
  McmEvaluation,
  McmInspection,
  McmRun
} from '../../src-shared/contracts/train'
import type { JobStatus } from '../../src-shared/domain/types'
import { ApiError } from '../api/errors'

interface RunRow {
  id: number
  project_id: number
  job_id: number
  student: string
  teacher: string
  config: string
  run_dir: string
  output_model: string | null
  evaluation: string | null
  inspection: string | null
  created_at: string
  status: JobStatus
}

const SELECT = 'SELECT r.*, j.status AS status FROM mcm_runs r JOIN jobs j ON j.id = r.job_id'

const toRun = (r: RunRow): McmRun => ({
  id: r.id,
  projectId: r.project_id,
  jobId: r.job_id,
  student: r.student,
  teacher: r.teacher,
  config: JSON.parse(r.config) as McmConfig,
  status: r.status,
  outputModel: r.output_model,
  createdAt: r.created_at
})

export class RunsRepo {
  constructor(private readonly db: Db) {}

  create(r: { projectId: number; jobId: number; student: string; teacher: string; config: McmConfig; runDir: string }): McmRun {
    const info = this.db
      .prepare('INSERT INTO mcm_runs (project_id, job_id, student, teacher, config, run_dir) VALUES (?, ?, ?, ?, ?, ?)')
      .run(r.projectId, r.jobId, r.student, r.teacher, JSON.stringify(r.config), r.runDir)
    return this.get(Number(info.lastInsertRowid))
  }

  private row(id: number): RunRow {
    const row = this.db.prepare(`${SELECT} WHERE r.id = ?`).get(id) as RunRow | undefined
    if (!row) throw new ApiError('not_found', `run ${id} does not exist`)
    return row
  }

  get(id: number): McmRun {
    return toRun(this.row(id))
  }

  byJob(jobId: number): McmRun & { runDir: string } {
    const row = this.db.prepare(`${SELECT} WHERE r.job_id = ?`).get(jobId) as RunRow | undefined
    if (!row) throw new ApiError('not_found', `no run for job ${jobId}`)
    return { ...toRun(row), runDir: row.run_dir }
  }

  /** The run kept in `runDir`, if any (an imported cluster run is recognised by its folder). */
  idByRunDir(runDir: string): number | null {
    const row = this.db.prepare('SELECT id FROM mcm_runs WHERE run_dir = ?').get(runDir) as { id: number } | undefined
    return row?.id ?? null
  }

  runDir(id: number): string {
    return this.row(id).run_dir
  }

  list(projectId?: number): McmRun[] {
    const rows = (
      projectId === undefined
        ? this.db.prepare(`${SELECT} ORDER BY r.id DESC`).all()
        : this.db.prepare(`${SELECT} WHERE r.project_id = ? ORDER BY r.id DESC`).all(projectId)
    ) as RunRow[]
    return rows.map(toRun)
  }

  /** Loss points; a resumed phase rewrites the steps after its checkpoint (INSERT OR REPLACE). */
  addLoss(runId: number, p: LossPoint): void {
    const num = (x: number | null | undefined): number | null => (x !== null && x !== undefined && Number.isFinite(x) ? x : null)
    this.db
      .prepare('INSERT OR REPLACE INTO mcm_loss (run_id, phase, step, loss, lr, lr_student, grad_norm_student, grad_norm_predictor) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
      .run(runId, p.phase, p.step, num(p.loss), p.lr, num(p.lrStudent), num(p.gradNormStudent), num(p.gradNormPredictor))
  }

  lossCurve(runId: number): LossPoint[] {
    const rows = this.db
      .prepare('SELECT phase, step, loss, lr, lr_student, grad_norm_student, grad_norm_predictor FROM mcm_loss WHERE run_id = ? ORDER BY phase DESC, step')
      .all(runId) as {
      phase: LossPoint['phase']
      step: number
      loss: number | null
      lr: number
      lr_student: number | null
      grad_norm_student: number | null
      grad_norm_predictor: number | null
    }[]
    return rows.map((r) => ({
      phase: r.phase,
      step: r.step,
      loss: r.loss ?? NaN,
      lr: r.lr,
      lrStudent: r.lr_student,
      gradNormStudent: r.grad_norm_student,
      gradNormPredictor: r.grad_norm_predictor
    }))
  }

  addCheckpoint(runId: number, c: { phase: CheckpointInfo['phase']; step: number; path: string; manifestSha256: string }): void {
    this.db
      .prepare('INSERT OR REPLACE INTO mcm_checkpoints (run_id, phase, step, path, manifest_sha256) VALUES (?, ?, ?, ?, ?)')
      .run(runId, c.phase, c.step, c.path, c.manifestSha256)
  }

  checkpoints(runId: number): CheckpointInfo[] {
    const rows = this.db
      .prepare('SELECT phase, step, path, manifest_sha256, created_at FROM mcm_checkpoints WHERE run_id = ? ORDER BY phase DESC, step')
      .all(runId) as { phase: CheckpointInfo['phase']; step: number; path: string; manifest_sha256: string; created_at: string }[]
    return rows.map((r) => ({ phase: r.phase, step: r.step, path: r.path, manifestSha256: r.manifest_sha256, createdAt: r.created_at }))
  }

  finish(runId: number, out: { evaluation: McmEvaluation; inspection: McmInspection; outputModel: string }): void {
    this.db
      .prepare('UPDATE mcm_runs SET evaluation = ?, inspection = ?, output_model = ? WHERE id = ?')
      .run(JSON.stringify(out.evaluation), JSON.stringify(out.inspection), out.outputModel, runId)
  }

  evaluation(runId: number): McmEvaluation | null {
    const e = this.row(runId).evaluation
    return e === null ? null : (JSON.parse(e) as McmEvaluation)
  }

  inspection(runId: number): McmInspection | null {
    const i = this.row(runId).inspection
    return i === null ? null : (JSON.parse(i) as McmInspection)
  }

  /** Register the fine-tuned student in the models table (replaces a row of the same name from an earlier attempt). */
  registerModel(m: { name: string; manifest: Record<string, unknown>; weightsPath: string; weightsHash: string }): void {
    this.db.transaction(() => {
      this.db.prepare("DELETE FROM models WHERE name = ? AND kind = 'finetuned'").run(m.name)
      this.db
        .prepare("INSERT INTO models (name, kind, manifest, weights_path, weights_hash) VALUES (?, 'finetuned', ?, ?, ?)")
        .run(m.name, JSON.stringify(m.manifest), m.weightsPath, m.weightsHash)
    })()
  }
}
