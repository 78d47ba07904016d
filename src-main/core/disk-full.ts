// Disk-full (ENOSPC) as a first-class error: a free-space check before big writes, one error class that names the
// file, and recognisers for the forms ENOSPC takes (Node errno codes, SQLite's SQLITE_FULL, libhdf5's diagnostics).
import { statfsSync } from 'node:fs'

export class DiskFullError extends Error {
  readonly code = 'ENOSPC'
  constructor(
    readonly file: string,
    detail = ''
  ) {
    super(`${file}: no space left on device (ENOSPC)${detail ? `: ${detail}` : ''}`)
    this.name = 'DiskFullError'
  }
}

/** Bytes an unprivileged writer may still use on the file system holding `dir` (null where statfs is unavailable). */
export function freeBytes(dir: string): number | null {
  try {
    const s = statfsSync(dir)
    return Number(s.bavail) * Number(s.bsize)
  } catch {
    return null
  }
}

const mb = (n: number): string => `${(n / 2 ** 20).toFixed(1)} MiB`

/** Refuse up front when `needBytes` clearly cannot fit (cheaper and clearer than failing half-way). */
export function ensureFreeSpace(dir: string, file: string, needBytes: number): void {
  const free = freeBytes(dir)
  if (free !== null && free < needBytes) throw new DiskFullError(file, `needs about ${mb(needBytes)}, ${mb(free)} free`)
}

/** True for any error that means the disk (or quota) is full: Node's ENOSPC/EDQUOT, SQLite's SQLITE_FULL. */
export function isDiskFull(e: unknown): boolean {
  if (e instanceof DiskFullError) return true
  const code = (e as { code?: unknown } | null)?.code
  if (code === 'ENOSPC' || code === 'EDQUOT' || code === 'SQLITE_FULL') return true
  const msg = (e as Error | null)?.message ?? ''
  return /database or disk is full|no space left on device|ENOSPC/i.test(msg)
}
