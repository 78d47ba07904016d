// Model rows (table `models`): the manifest JSON, where the weights live, and their SHA-256.
import type { Db } from './database'
import type { ModelRecord } from '../../src-shared/domain/types'
import { ApiError } from '../api/errors'

interface ModelRow {
  id: number
  name: string
  kind: ModelRecord['kind']
  manifest: string
  weights_path: string | null
  weights_hash: string | null
  created_at: string
}

const toRecord = (r: ModelRow): ModelRecord => ({
  id: r.id,
  name: r.name,
  kind: r.kind,
  manifest: JSON.parse(r.manifest) as Record<string, unknown>,
  weightsPath: r.weights_path,
  weightsHash: r.weights_hash,
  createdAt: r.created_at
})

export class ModelsRepo {
  constructor(private readonly db: Db) {}

  insert(m: Omit<ModelRecord, 'id' | 'createdAt'>): ModelRecord {
    try {
      const info = this.db
        .prepare('INSERT INTO models (name, kind, manifest, weights_path, weights_hash) VALUES (?, ?, ?, ?, ?)')
        .run(m.name, m.kind, JSON.stringify(m.manifest), m.weightsPath, m.weightsHash)
      return this.get(Number(info.lastInsertRowid))
    } catch (e) {
      if ((e as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') throw new ApiError('conflict', `a model named "${m.name}" already exists`)
      throw e
    }
  }

  list(): ModelRecord[] {
    return (this.db.prepare('SELECT * FROM models ORDER BY id').all() as ModelRow[]).map(toRecord)
  }

  get(id: number): ModelRecord {
    const row = this.db.prepare('SELECT * FROM models WHERE id = ?').get(id) as ModelRow | undefined
    if (!row) throw new ApiError('not_found', `model ${id} does not exist`)
    return toRecord(row)
  }

  findByName(name: string): ModelRecord | null {
    const row = this.db.prepare('SELECT * FROM models WHERE name = ?').get(name) as ModelRow | undefined
    return row ? toRecord(row) : null
  }

  /** A numeric id or a name (CLI convenience). */
  resolve(ref: string | number): ModelRecord {
    const byName = typeof ref === 'string' ? this.findByName(ref) : null
    if (byName) return byName
    if (typeof ref === 'number' || /^\d+$/.test(ref)) return this.get(Number(ref))
    throw new ApiError('not_found', `no model named "${ref}" (see: tessera model list)`)
  }

  /** Other rows that share the weights file (it is deleted only when none do). */
  countByHash(hash: string): number {
    return (this.db.prepare('SELECT count(*) AS n FROM models WHERE weights_hash = ?').get(hash) as { n: number }).n
  }

  delete(id: number): boolean {
    return this.db.prepare('DELETE FROM models WHERE id = ?').run(id).changes > 0
  }
}
