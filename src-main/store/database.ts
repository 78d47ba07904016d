// Opens the SQLite store: WAL, foreign keys, busy timeout, FULL sync, integrity check, migrations.
import Database from 'better-sqlite3'
import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import { migrations as allMigrations, type Migration } from './migrations/index'

export type Db = Database.Database

export class StoreError extends Error {
  constructor(
    message: string,
    readonly file: string
  ) {
    super(`${file}: ${message}`)
    this.name = 'StoreError'
  }
}

export interface OpenOptions {
  /** Migrations to apply (tests pass a prefix to build old schemas). */
  migrations?: readonly Migration[]
  readonly?: boolean
}

/** Open (and create/upgrade) a store. Throws StoreError naming the file when it is not a usable database. */
export function openDatabase(file: string, options: OpenOptions = {}): Db {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true })
  let db: Db
  try {
    db = new Database(file, { readonly: options.readonly ?? false, timeout: 5000 })
  } catch (e) {
    throw new StoreError(`cannot open database: ${(e as Error).message}`, file)
  }
  try {
    if (!options.readonly && file !== ':memory:') {
      const mode = db.pragma('journal_mode = WAL', { simple: true })
      if (mode !== 'wal') throw new StoreError(`journal_mode is ${String(mode)}, expected wal`, file)
    }
    db.pragma('foreign_keys = ON')
    db.pragma('busy_timeout = 5000')
    // Jobs, runs and checkpoints need durable commits; WAL + FULL fsyncs each commit.
    db.pragma('synchronous = FULL')
    const check = db.pragma('integrity_check', { simple: true })
    if (check !== 'ok') throw new StoreError(`integrity_check failed: ${String(check)}`, file)
    if (!options.readonly) migrate(db, options.migrations ?? allMigrations)
    return db
  } catch (e) {
    db.close()
    if (e instanceof StoreError) throw e
    throw new StoreError((e as Error).message, file)
  }
}

/** Current schema version (PRAGMA user_version). */
export function schemaVersion(db: Db): number {
  return db.pragma('user_version', { simple: true }) as number
}

/** Apply every migration above the stored version, each in its own transaction. */
export function migrate(db: Db, list: readonly Migration[]): void {
  const current = schemaVersion(db)
  const latest = allMigrations.length
  if (current > latest) {
    throw new Error(`database schema version ${current} is newer than this Tessera (${latest}); upgrade Tessera`)
  }
  for (const m of list) {
    if (m.version <= current) continue
    db.transaction(() => {
      db.exec(m.up)
      db.pragma(`user_version = ${m.version}`)
    })()
  }
}

/** Run integrity_check; returns 'ok' or the first problem. */
export function integrityCheck(db: Db): string {
  return String(db.pragma('integrity_check', { simple: true }))
}
