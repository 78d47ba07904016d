// Store: every migration upgrades an older database without losing data; opening checks integrity and versions.
import { describe, expect, it } from 'vitest'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type Database from 'better-sqlite3'
import { integrityCheck, openDatabase, schemaVersion, StoreError } from '../../../src-main/store/database'
import { migrations } from '../../../src-main/store/migrations/index'
import { tempDir } from '../../helpers/tmp'

/** Rows written at a given schema version, to check they survive later migrations. */
function seed(db: Database.Database, version: number): void {
  if (version >= 1) {
    db.prepare("INSERT INTO projects (name) VALUES ('p')").run()
    db.prepare("INSERT INTO slides (project_id, path, name, status) VALUES (1, '/s.svs', 's', 'ok')").run()
    db.prepare("INSERT INTO jobs (kind, status) VALUES ('diagnostic.count', 'succeeded')").run()
  }
  if (version >= 2) {
    db.prepare("INSERT INTO feature_sets (slide_checksum, grid_key, encoder_key, dtype, dim) VALUES ('c', 'g', 'e', 'float32', 4)").run()
  }
}

describe('migrations', () => {
  it('are numbered 1..N without gaps', () => {
    expect(migrations.map((m) => m.version)).toEqual(migrations.map((_, i) => i + 1))
  })

  for (let from = 1; from < migrations.length; from++) {
    it(`upgrade a version-${from} database to the latest without losing rows`, () => {
      const file = join(tempDir('mig-'), 'old.db')
      const old = openDatabase(file, { migrations: migrations.slice(0, from) })
      expect(schemaVersion(old)).toBe(from)
      seed(old, from)
      old.close()
      const db = openDatabase(file)
      expect(schemaVersion(db)).toBe(migrations.length)
      expect(db.prepare('SELECT name FROM projects').pluck().all()).toEqual(['p'])
      expect(db.prepare('SELECT count(*) FROM slides').pluck().get()).toBe(1)
      expect(integrityCheck(db)).toBe('ok')
      db.close()
    })
  }

  it('opens in WAL with foreign keys and full sync', () => {
    const db = openDatabase(join(tempDir('mig-'), 'a.db'))
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal')
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1)
    expect(db.pragma('synchronous', { simple: true })).toBe(2)
    expect(Number(db.pragma('busy_timeout', { simple: true }))).toBeGreaterThanOrEqual(5000)
    db.close()
  })

  it('refuses a file that is not a database, naming it', () => {
    const file = join(tempDir('mig-'), 'garbage.db')
    writeFileSync(file, Buffer.alloc(8192, 0x5a))
    expect(() => openDatabase(file)).toThrow(StoreError)
    expect(() => openDatabase(file)).toThrow(/garbage\.db/)
  })

  it('refuses a database from a newer Tessera', () => {
    const file = join(tempDir('mig-'), 'new.db')
    const db = openDatabase(file)
    db.pragma(`user_version = ${migrations.length + 5}`)
    db.close()
    expect(() => openDatabase(file)).toThrow(/newer than this Tessera/)
  })

  it('cascades project deletion to slides and jobs', () => {
    const db = openDatabase(join(tempDir('mig-'), 'c.db'))
    seed(db, migrations.length)
    db.prepare("UPDATE jobs SET project_id = 1").run()
    db.prepare('DELETE FROM projects WHERE id = 1').run()
    expect(db.prepare('SELECT count(*) FROM slides').pluck().get()).toBe(0)
    expect(db.prepare('SELECT count(*) FROM jobs').pluck().get()).toBe(0)
    db.close()
  })
})
