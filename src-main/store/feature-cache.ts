// Feature cache: one set of patch vectors per slide × grid × encoder × precision, written per slide in one
// transaction (the `complete` flag set last), read back as one Float32Array N×D plus level-0 coords.
// Storage cost: one row per vector (D×2 or D×4 bytes); a 10k-patch slide at D=1024/f16 is ~20 MB.
import type { Db } from './database'
import { decodeFloat16, encodeFloat16 } from './float16'

export type FeatureDtype = 'float16' | 'float32'

/** Everything that produced the vectors; two sets with equal keys are interchangeable. */
export interface FeatureSetKey {
  slideChecksum: string
  gridKey: string
  /** encoder id + weight hash + preprocessing (see encoderKey()) */
  encoderKey: string
  dtype: FeatureDtype
}

export interface FeatureSetInfo extends FeatureSetKey {
  id: number
  dim: number
  count: number
  complete: boolean
  slideName: string | null
  producedBy: Record<string, unknown>
  createdAt: string
}

export interface FeatureSetData {
  info: FeatureSetInfo
  /** N×D row-major */
  vectors: Float32Array
  /** N×2 (x, y) level-0 px, same row order as vectors */
  coords: Int32Array
}

export interface FeatureSetWrite {
  dim: number
  vectors: Float32Array
  coords: Int32Array
  slideName?: string | null
  producedBy?: Record<string, unknown>
}

interface SetRow {
  id: number
  slide_checksum: string
  grid_key: string
  encoder_key: string
  dtype: FeatureDtype
  dim: number
  count: number
  complete: number
  produced_by: string
  created_at: string
  slide_name: string | null
}

const toInfo = (r: SetRow): FeatureSetInfo => ({
  id: r.id,
  slideChecksum: r.slide_checksum,
  gridKey: r.grid_key,
  encoderKey: r.encoder_key,
  dtype: r.dtype,
  dim: r.dim,
  count: r.count,
  complete: r.complete === 1,
  slideName: r.slide_name,
  producedBy: JSON.parse(r.produced_by) as Record<string, unknown>,
  createdAt: r.created_at
})

const COLS = 'id, slide_checksum, grid_key, encoder_key, dtype, dim, count, complete, produced_by, created_at, slide_name'

/** Stable encoder key: model id, weight hash and the preprocessing that changes the vectors. */
export function encoderKey(parts: { model: string; weightHash: string; inputSize: number; mean: readonly number[]; std: readonly number[] }): string {
  const r = (v: readonly number[]): string => v.map((x) => Number(x.toPrecision(6))).join(',')
  return `${parts.model}@${parts.weightHash.slice(0, 16)}|in${parts.inputSize}|m${r(parts.mean)}|s${r(parts.std)}`
}

/** Copy a SQLite blob into an aligned buffer (blobs are Buffers at arbitrary byte offsets). */
function aligned(buf: Uint8Array): ArrayBuffer {
  const out = new ArrayBuffer(buf.byteLength)
  new Uint8Array(out).set(buf)
  return out
}

/** View a blob as 16-bit words, copying only when its offset is not 2-aligned. */
function halfView(buf: Uint8Array): Uint16Array {
  return buf.byteOffset % 2 === 0 ? new Uint16Array(buf.buffer, buf.byteOffset, buf.byteLength / 2) : new Uint16Array(aligned(buf))
}

/** View a blob as float32, copying only when its offset is not 4-aligned. */
function floatView(buf: Uint8Array): Float32Array {
  return buf.byteOffset % 4 === 0 ? new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4) : new Float32Array(aligned(buf))
}

export class FeatureCache {
  constructor(private readonly db: Db) {}

  find(key: FeatureSetKey): FeatureSetInfo | null {
    const row = this.db
      .prepare(`SELECT ${COLS} FROM feature_sets WHERE slide_checksum=? AND grid_key=? AND encoder_key=? AND dtype=?`)
      .get(key.slideChecksum, key.gridKey, key.encoderKey, key.dtype) as SetRow | undefined
    return row ? toInfo(row) : null
  }

  isComplete(key: FeatureSetKey): boolean {
    return this.find(key)?.complete === true
  }

  get(id: number): FeatureSetInfo | null {
    const row = this.db.prepare(`SELECT ${COLS} FROM feature_sets WHERE id=?`).get(id) as SetRow | undefined
    return row ? toInfo(row) : null
  }

  list(filter: { encoderKey?: string; slideChecksum?: string; completeOnly?: boolean } = {}): FeatureSetInfo[] {
    const where: string[] = []
    const args: unknown[] = []
    if (filter.encoderKey !== undefined) {
      where.push('encoder_key = ?')
      args.push(filter.encoderKey)
    }
    if (filter.slideChecksum !== undefined) {
      where.push('slide_checksum = ?')
      args.push(filter.slideChecksum)
    }
    if (filter.completeOnly) where.push('complete = 1')
    const sql = `SELECT ${COLS} FROM feature_sets ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY id`
    return (this.db.prepare(sql).all(...args) as SetRow[]).map(toInfo)
  }

  /**
   * Write one slide's vectors in one transaction: any previous (partial) set under the key is replaced, rows go in,
   * then `complete` is set. A kill mid-write rolls back to the previous state, never a half set marked complete.
   */
  writeSlide(key: FeatureSetKey, data: FeatureSetWrite): FeatureSetInfo {
    const { dim, vectors, coords } = data
    if (!Number.isInteger(dim) || dim <= 0) throw new Error(`feature dim must be a positive integer, got ${dim}`)
    if (vectors.length % dim !== 0) throw new Error(`vectors length ${vectors.length} is not a multiple of dim ${dim}`)
    const n = vectors.length / dim
    if (coords.length !== n * 2) throw new Error(`coords length ${coords.length} does not match ${n} vectors (expected ${n * 2})`)
    const insertSet = this.db.prepare(
      `INSERT INTO feature_sets (slide_checksum, grid_key, encoder_key, dtype, dim, count, complete, produced_by, coords, slide_name)
       VALUES (?, ?, ?, ?, ?, 0, 0, ?, ?, ?)`
    )
    const insertVec = this.db.prepare('INSERT INTO feature_vectors (set_id, idx, vec) VALUES (?, ?, ?)')
    const finish = this.db.prepare('UPDATE feature_sets SET count = ?, complete = 1 WHERE id = ?')
    const id = this.db.transaction(() => {
      this.db
        .prepare('DELETE FROM feature_sets WHERE slide_checksum=? AND grid_key=? AND encoder_key=? AND dtype=?')
        .run(key.slideChecksum, key.gridKey, key.encoderKey, key.dtype)
      const setId = Number(
        insertSet.run(
          key.slideChecksum,
          key.gridKey,
          key.encoderKey,
          key.dtype,
          dim,
          JSON.stringify(data.producedBy ?? {}),
          Buffer.from(coords.buffer, coords.byteOffset, coords.byteLength),
          data.slideName ?? null
        ).lastInsertRowid
      )
      const half = key.dtype === 'float16' ? new Uint16Array(dim) : null
      for (let i = 0; i < n; i++) {
        const row = vectors.subarray(i * dim, (i + 1) * dim)
        // views, no copy: SQLite copies bound blobs (SQLITE_TRANSIENT), so the scratch half buffer can be reused
        const bytes = half ? Buffer.from(encodeFloat16(row, half).buffer) : Buffer.from(row.buffer, row.byteOffset, row.byteLength)
        insertVec.run(setId, i, bytes)
      }
      finish.run(n, setId)
      return setId
    })()
    return this.get(id) as FeatureSetInfo
  }

  /** Read a complete set as N×D float32 + coords; null when absent or incomplete. */
  read(key: FeatureSetKey): FeatureSetData | null {
    const info = this.find(key)
    return info?.complete ? this.readById(info.id) : null
  }

  readById(id: number): FeatureSetData | null {
    const info = this.get(id)
    if (!info || !info.complete) return null
    const { dim, count } = info
    const vectors = new Float32Array(count * dim)
    const bytesPerRow = dim * (info.dtype === 'float16' ? 2 : 4)
    const rows = this.db.prepare('SELECT idx, vec FROM feature_vectors WHERE set_id = ? ORDER BY idx').raw().iterate(id) as IterableIterator<
      [number, Uint8Array]
    >
    let seen = 0
    for (const [idx, vec] of rows) {
      if (vec.byteLength !== bytesPerRow || idx < 0 || idx >= count) {
        throw new Error(`feature set ${id}: row ${idx} is ${vec.byteLength} bytes, expected ${bytesPerRow} (store corrupted)`)
      }
      if (info.dtype === 'float16') decodeFloat16(halfView(vec), vectors, idx * dim)
      else vectors.set(floatView(vec), idx * dim)
      seen++
    }
    if (seen !== count) throw new Error(`feature set ${id}: ${seen} rows stored, expected ${count} (store corrupted)`)
    const coordRow = this.db.prepare('SELECT coords FROM feature_sets WHERE id = ?').get(id) as { coords: Uint8Array | null }
    const coords = coordRow.coords ? new Int32Array(aligned(coordRow.coords)) : new Int32Array(count * 2)
    if (coords.length !== count * 2) throw new Error(`feature set ${id}: coords hold ${coords.length / 2} rows, expected ${count}`)
    return { info, vectors, coords }
  }

  delete(key: FeatureSetKey): boolean {
    return (
      this.db
        .prepare('DELETE FROM feature_sets WHERE slide_checksum=? AND grid_key=? AND encoder_key=? AND dtype=?')
        .run(key.slideChecksum, key.gridKey, key.encoderKey, key.dtype).changes > 0
    )
  }

  /** Delete one set and (cascade) its vectors. */
  deleteById(id: number): boolean {
    return this.db.prepare('DELETE FROM feature_sets WHERE id = ?').run(id).changes > 0
  }
}
