// Slide rows of a project: upsert by (project, path), list, get, remove, mpp override, label/patient id.
import type { Db } from './database'
import { resolutionProblem } from '../../src-shared/domain/resolution'
import type { Slide, SlideStatus } from '../../src-shared/domain/types'
import { ApiError } from '../api/errors'
import { DEFAULT_TISSUE_METHOD } from '../../src-shared/domain/grid'

interface SlideRow {
  id: number
  project_id: number
  path: string
  name: string
  checksum: string | null
  status: SlideStatus
  error: string | null
  vendor: string | null
  width: number | null
  height: number | null
  mpp_x: number | null
  mpp_y: number | null
  mpp_override: number | null
  label: string | null
  patient_id: string | null
  metadata: string
  tissue_coverage: number | null
  tissue_method: string | null
}

function parseMetadata(text: string): Record<string, unknown> {
  try {
    const v: unknown = JSON.parse(text)
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {}
  } catch {
    return {}
  }
}

const toSlide = (r: SlideRow): Slide => ({
  id: r.id,
  projectId: r.project_id,
  path: r.path,
  name: r.name,
  checksum: r.checksum,
  status: r.status,
  error: r.error,
  vendor: r.vendor,
  width: r.width,
  height: r.height,
  mppX: r.mpp_x,
  mppY: r.mpp_y,
  mppOverride: r.mpp_override,
  label: r.label,
  patientId: r.patient_id,
  metadata: parseMetadata(r.metadata),
  tissueCoverage: r.tissue_coverage ?? null,
  tissueMethod: r.tissue_method ?? null,
  // only for slides that were read: an unreadable file's missing mpp is not the problem to report
  resolutionProblem: r.status === 'ok' ? resolutionProblem(r.mpp_x, r.mpp_y, r.mpp_override) : null
})

/** The slide's masks, those of its project's current method first, then the latest (a one-off mask of another method does not hide it). */
const MASK_ORDER = `ORDER BY json_extract(m.params, '$.method') =
    coalesce(json_extract((SELECT p.tissue FROM projects p WHERE p.id = s.project_id), '$.method'), '${DEFAULT_TISSUE_METHOD}') DESC, m.id DESC LIMIT 1`

/** Slide columns plus the coverage and method of its tissue mask (MASK_ORDER picks which). */
const SELECT = `SELECT s.*,
  (SELECT m.coverage FROM tissue_masks m WHERE m.slide_id = s.id ${MASK_ORDER}) AS tissue_coverage,
  (SELECT json_extract(m.params, '$.method') FROM tissue_masks m WHERE m.slide_id = s.id ${MASK_ORDER}) AS tissue_method
  FROM slides s`

/** What the slides service learned about a file (ok) or why it failed (error). */
export interface SlideUpsert {
  projectId: number
  path: string
  name: string
  status: SlideStatus
  checksum?: string | null
  error?: string | null
  vendor?: string | null
  width?: number | null
  height?: number | null
  mppX?: number | null
  mppY?: number | null
  metadata?: Record<string, unknown>
}

export class SlidesRepo {
  constructor(private readonly db: Db) {}

  /** Insert or refresh the row of (project, path); the override, label and patient id survive a refresh. */
  upsert(s: SlideUpsert): Slide {
    this.db
      .prepare(
        `INSERT INTO slides (project_id, path, name, checksum, status, error, vendor, width, height, mpp_x, mpp_y, metadata)
         VALUES (@projectId, @path, @name, @checksum, @status, @error, @vendor, @width, @height, @mppX, @mppY, @metadata)
         ON CONFLICT (project_id, path) DO UPDATE SET name = excluded.name, checksum = excluded.checksum,
           status = excluded.status, error = excluded.error, vendor = excluded.vendor, width = excluded.width,
           height = excluded.height, mpp_x = excluded.mpp_x, mpp_y = excluded.mpp_y, metadata = excluded.metadata`
      )
      .run({
        projectId: s.projectId,
        path: s.path,
        name: s.name,
        checksum: s.checksum ?? null,
        status: s.status,
        error: s.error ?? null,
        vendor: s.vendor ?? null,
        width: s.width ?? null,
        height: s.height ?? null,
        mppX: s.mppX ?? null,
        mppY: s.mppY ?? null,
        metadata: JSON.stringify(s.metadata ?? {})
      })
    const row = this.db.prepare(`${SELECT} WHERE s.project_id = ? AND s.path = ?`).get(s.projectId, s.path) as SlideRow
    return toSlide(row)
  }

  list(projectId: number): Slide[] {
    return (this.db.prepare(`${SELECT} WHERE s.project_id = ? ORDER BY s.id`).all(projectId) as SlideRow[]).map(toSlide)
  }

  /** Slides of any project with this content key (the feature cache is keyed by content, not by project). */
  listByChecksum(checksum: string): Slide[] {
    return (this.db.prepare("SELECT * FROM slides WHERE checksum = ? AND status = 'ok' ORDER BY id").all(checksum) as SlideRow[]).map(toSlide)
  }

  get(id: number): Slide {
    const row = this.db.prepare(`${SELECT} WHERE s.id = ?`).get(id) as SlideRow | undefined
    if (!row) throw new ApiError('not_found', `slide ${id} does not exist`)
    return toSlide(row)
  }

  remove(id: number): boolean {
    return this.db.prepare('DELETE FROM slides WHERE id = ?').run(id).changes > 0
  }

  setMppOverride(id: number, mpp: number | null): Slide {
    this.get(id)
    this.db.prepare('UPDATE slides SET mpp_override = ? WHERE id = ?').run(mpp, id)
    return this.get(id)
  }

  setLabel(id: number, label: string | null, patientId: string | null): Slide {
    this.get(id)
    this.db.prepare('UPDATE slides SET label = ?, patient_id = ? WHERE id = ?').run(label, patientId, id)
    return this.get(id)
  }
}
