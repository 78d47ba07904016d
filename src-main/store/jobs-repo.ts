// Job rows: the durable record of every background job (params, status, progress, result).
import type { Db } from './database'
import type { Job, JobStatus } from '../../src-shared/domain/types'
import { ApiError } from '../api/errors'

interface JobRow {
  id: number
  project_id: number | null
  kind: string
  status: JobStatus
  params: string
  progress: number
  message: string | null
  error: string | null
  result: string | null
  resumable: number
  pid: number | null
  created_at: string
  started_at: string | null
  finished_at: string | null
}

const toJob = (r: JobRow): Job => ({
  id: r.id,
  projectId: r.project_id,
  kind: r.kind,
  status: r.status,
  params: JSON.parse(r.params) as Record<string, unknown>,
  progress: r.progress,
  message: r.message,
  error: r.error,
  result: r.result === null ? null : (JSON.parse(r.result) as Record<string, unknown>),
  resumable: r.resumable === 1,
  createdAt: r.created_at,
  startedAt: r.started_at,
  finishedAt: r.finished_at
})

const NOW = `strftime('%Y-%m-%dT%H:%M:%fZ','now')`

export class JobsRepo {
  constructor(private readonly db: Db) {}

  create(kind: string, projectId: number | null, params: Record<string, unknown>, resumable: boolean): Job {
    const info = this.db
      .prepare('INSERT INTO jobs (kind, project_id, status, params, resumable) VALUES (?, ?, ?, ?, ?)')
      .run(kind, projectId, 'queued', JSON.stringify(params), resumable ? 1 : 0)
    return this.get(Number(info.lastInsertRowid))
  }

  get(id: number): Job {
    const row = this.db.prepare('SELECT * FROM jobs WHERE id = ?').get(id) as JobRow | undefined
    if (!row) throw new ApiError('not_found', `job ${id} does not exist`)
    return toJob(row)
  }

  list(filter: { projectId?: number | undefined; kind?: string | undefined } = {}): Job[] {
    const where: string[] = []
    const args: unknown[] = []
    if (filter.projectId !== undefined) {
      where.push('project_id = ?')
      args.push(filter.projectId)
    }
    if (filter.kind !== undefined) {
      where.push('kind = ?')
      args.push(filter.kind)
    }
    const sql = `SELECT * FROM jobs ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY id DESC`
    return (this.db.prepare(sql).all(...args) as JobRow[]).map(toJob)
  }

  markRunning(id: number, pid: number | null): void {
    this.db
      .prepare(`UPDATE jobs SET status='running', pid=?, error=NULL, started_at=COALESCE(started_at, ${NOW}), finished_at=NULL WHERE id=?`)
      .run(pid, id)
  }

  setProgress(id: number, progress: number, message: string | null, metrics?: Record<string, number>): void {
    if (metrics) {
      this.db.prepare('UPDATE jobs SET progress=?, message=?, metrics=? WHERE id=?').run(progress, message, JSON.stringify(metrics), id)
    } else {
      this.db.prepare('UPDATE jobs SET progress=?, message=? WHERE id=?').run(progress, message, id)
    }
  }

  finish(id: number, status: JobStatus, fields: { error?: string | null; result?: Record<string, unknown> | null }): void {
    this.db
      .prepare(`UPDATE jobs SET status=?, error=?, result=COALESCE(?, result), pid=NULL, finished_at=${NOW},
        progress=CASE WHEN ?='succeeded' THEN 1 ELSE progress END WHERE id=?`)
      .run(status, fields.error ?? null, fields.result ? JSON.stringify(fields.result) : null, status, id)
  }

  requeue(id: number): void {
    this.db.prepare(`UPDATE jobs SET status='queued', error=NULL, finished_at=NULL WHERE id=?`).run(id)
  }

  /** Jobs left queued/running by a process that died: mark them interrupted (resumable keeps its value). */
  markInterrupted(isAlive: (pid: number) => boolean): number[] {
    const rows = this.db.prepare(`SELECT id, pid FROM jobs WHERE status IN ('queued','running')`).all() as {
      id: number
      pid: number | null
    }[]
    const ids = rows.filter((r) => r.pid === null || !isAlive(r.pid)).map((r) => r.id)
    const stmt = this.db.prepare(
      `UPDATE jobs SET status='interrupted', pid=NULL, error='interrupted: the process running it stopped', finished_at=${NOW} WHERE id=?`
    )
    this.db.transaction(() => ids.forEach((id) => stmt.run(id)))()
    return ids
  }
}

/** Resume state of a job (small JSON written by the worker at its own checkpoints). */
export function readJobState(db: Db, id: number): Record<string, unknown> | null {
  const row = db.prepare('SELECT state FROM jobs WHERE id = ?').get(id) as { state: string | null } | undefined
  return row?.state ? (JSON.parse(row.state) as Record<string, unknown>) : null
}

export function writeJobState(db: Db, id: number, state: Record<string, unknown>): void {
  db.prepare('UPDATE jobs SET state = ? WHERE id = ?').run(JSON.stringify(state), id)
}
