// A small reserve file beside the database (<db>-reserve, 1 MiB) that is given back when the disk fills up, so the
// store can still open (SQLite must allocate its -shm/-wal files), record why a job failed, and answer reads.
// Recreated, best effort, on the next open once there is room again. Cost: 1 MiB of disk per database.
import { closeSync, existsSync, openSync, rmSync, statSync, writeSync } from 'node:fs'

export const RESERVE_BYTES = 1 << 20

export const reservePath = (dbPath: string): string => `${dbPath}-reserve`

/** Create the reserve if missing and there is room; never throws (a full disk simply means no reserve yet). */
export function ensureReserve(dbPath: string): boolean {
  if (dbPath === ':memory:') return false
  const path = reservePath(dbPath)
  try {
    if (existsSync(path) && statSync(path).size === RESERVE_BYTES) return true
    const fd = openSync(path, 'w')
    try {
      const chunk = Buffer.alloc(64 * 1024) // written, not truncated: a sparse file would reserve nothing
      for (let off = 0; off < RESERVE_BYTES; off += chunk.length) writeSync(fd, chunk, 0, chunk.length, off)
    } finally {
      closeSync(fd)
    }
    return true
  } catch {
    rmSync(path, { force: true })
    return false
  }
}

/** Give the reserve back to the file system; true if there was one to give. */
export function releaseReserve(dbPath: string): boolean {
  const path = reservePath(dbPath)
  if (!existsSync(path)) return false
  rmSync(path, { force: true })
  return true
}
