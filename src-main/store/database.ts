// Opens the SQLite store: WAL, foreign keys, busy timeout, FULL sync, integrity check, migrations.
import Database from 'better-sqlite3'
import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import { migrations as allMigrations, type Migration } from './migrations/index'
import { ensureReserve, releaseReserve } from './disk-reserve'
import { isDiskFull } from '../core/disk-full'

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

/**
 * Open (and create/upgrade) a store. Throws StoreError naming the file when it is not a usable database. On a full
 * disk (SQLite cannot allocate its -shm/-wal) the reserve beside the database is given back and the open retried
 * once, so reads keep working; the error otherwise says the disk is full.
 */
export function openDatabase(file: string, options: OpenOptions = {}): Db {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true })
  let db: Db
  try {
    db = openOnce(file, options)
  } catch (e) {
    if (!isStoreDiskFull(e) || !releaseReserve(file)) throw diskFullStoreError(e, file)
    db = openOnce(file, options)
  }
  if (!options.readonly) ensureReserve(file)
  return db
}

/** SQLite's forms of a full disk: SQLITE_FULL, and an -shm that cannot be sized (IOERR_SHMSIZE) when space is gone. */
export function isStoreDiskFull(e: unknown): boolean {
  const code = (e as { code?: string; cause?: { code?: string } }).cause?.code ?? (e as { code?: string }).code ?? ''
  return isDiskFull(e) || code === 'SQLITE_FULL' || code === 'SQLITE_IOERR_SHMSIZE' || code === 'SQLITE_IOERR_WRITE'
}

function diskFullStoreError(e: unknown, file: string): unknown {
  if (!isStoreDiskFull(e)) return e
  return new StoreError(`no space left on device (ENOSPC): the database cannot be opened until some space is freed (${(e as Error).message})`, file)
}

function openOnce(file: string, options: OpenOptions): Db {
  let db: Db
  try {
    db = new Database(file, { readonly: options.readonly ?? false, timeout: 5000 })
  } catch (e) {
    const err = new StoreError(`cannot open database: ${(e as Error).message}`, file)
    ;(err as { cause?: unknown }).cause = e
    throw err
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
    const err = new StoreError((e as Error).message, file)
    ;(err as { cause?: unknown }).cause = e
    throw err
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
