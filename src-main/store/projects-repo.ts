// Project rows: create, list, rename, delete (slides, jobs cascade), the project's tissue method.
import type { Db } from './database'
import type { Project } from '../../src-shared/domain/types'
import type { TissueChoice } from '../../src-shared/domain/grid'
import { ApiError } from '../api/errors'

interface ProjectRow {
  id: number
  name: string
  created_at: string
  slide_count: number
  tissue: string | null
}

function parseTissue(text: string | null): TissueChoice | null {
  if (!text) return null
  try {
    return JSON.parse(text) as TissueChoice
  } catch {
    return null
  }
}

const toProject = (r: ProjectRow): Project => ({
  id: r.id,
  name: r.name,
  createdAt: r.created_at,
  slideCount: r.slide_count,
  tissue: parseTissue(r.tissue)
})

const SELECT = `SELECT p.id, p.name, p.created_at, p.tissue, (SELECT count(*) FROM slides s WHERE s.project_id = p.id) AS slide_count
  FROM projects p`

export class ProjectsRepo {
  constructor(private readonly db: Db) {}

  create(name: string): Project {
    try {
      const info = this.db.prepare('INSERT INTO projects (name) VALUES (?)').run(name)
      return this.get(Number(info.lastInsertRowid))
    } catch (e) {
      if ((e as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') {
        throw new ApiError('conflict', `a project named "${name}" already exists`)
      }
      throw e
    }
  }

  list(): Project[] {
    return (this.db.prepare(`${SELECT} ORDER BY p.id`).all() as ProjectRow[]).map(toProject)
  }

  get(id: number): Project {
    const row = this.db.prepare(`${SELECT} WHERE p.id = ?`).get(id) as ProjectRow | undefined
    if (!row) throw new ApiError('not_found', `project ${id} does not exist`)
    return toProject(row)
  }

  findByName(name: string): Project | null {
    const row = this.db.prepare(`${SELECT} WHERE p.name = ?`).get(name) as ProjectRow | undefined
    return row ? toProject(row) : null
  }

  /** Accepts a numeric id or a name (CLI convenience). */
  resolve(ref: string | number): Project {
    if (typeof ref === 'number' || /^\d+$/.test(ref)) {
      const byId = this.db.prepare(`${SELECT} WHERE p.id = ?`).get(Number(ref)) as ProjectRow | undefined
      if (byId) return toProject(byId)
    }
    const byName = this.findByName(String(ref))
    if (!byName) throw new ApiError('not_found', `no project named or numbered "${ref}"`)
    return byName
  }

  rename(id: number, name: string): Project {
    this.get(id)
    try {
      this.db.prepare('UPDATE projects SET name = ? WHERE id = ?').run(name, id)
    } catch (e) {
      if ((e as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') {
        throw new ApiError('conflict', `a project named "${name}" already exists`)
      }
      throw e
    }
    return this.get(id)
  }

  /** Set (or with null, reset to the default) the tissue method grids of this project are built with. */
  setTissue(id: number, tissue: TissueChoice | null): Project {
    this.get(id)
    this.db.prepare('UPDATE projects SET tissue = ? WHERE id = ?').run(tissue ? JSON.stringify(tissue) : null, id)
    return this.get(id)
  }

  /** The tissue choice of the project a slide belongs to (null: the default). */
  tissueOfSlide(slideId: number): TissueChoice | null {
    const row = this.db.prepare('SELECT p.tissue FROM projects p JOIN slides s ON s.project_id = p.id WHERE s.id = ?').get(slideId) as
      | { tissue: string | null }
      | undefined
    return parseTissue(row?.tissue ?? null)
  }

  delete(id: number): boolean {
    return this.db.prepare('DELETE FROM projects WHERE id = ?').run(id).changes > 0
  }
}
