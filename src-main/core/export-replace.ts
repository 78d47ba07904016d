// May `--force` replace this folder? Only when it is empty or provably a previous Tessera export: every entry in it
// is a regular file (or folder) that the export's own manifest lists. Anything else (a home folder, a project,
// a link) is refused, force or not: replacing renames and then recursively deletes the old folder.
import { lstatSync, readdirSync } from 'node:fs'
import { join } from 'node:path'

export class ReplaceRefusedError extends Error {
  constructor(
    readonly dir: string,
    readonly reason: string
  ) {
    super(`${dir}: refusing to replace it, even with --force: ${reason}. Remove it yourself or choose another output folder`)
    this.name = 'ReplaceRefusedError'
  }
}

/** Cap on entries inspected: an export holds at most a few thousand files; a huge folder is not one. */
const MAX_ENTRIES = 100_000

/**
 * Relative paths (with '/') of the regular files under `dir`, or a reason why `dir` cannot be an export
 * (a link, a socket, a FIFO … anywhere inside, or too many entries).
 */
function regularFilesUnder(dir: string): string[] | string {
  const out: string[] = []
  const stack: string[] = ['']
  let seen = 0
  while (stack.length) {
    const rel = stack.pop()!
    for (const name of readdirSync(join(dir, rel))) {
      if (++seen > MAX_ENTRIES) return `it holds more than ${MAX_ENTRIES} entries`
      const r = rel ? `${rel}/${name}` : name
      const st = lstatSync(join(dir, r))
      if (st.isDirectory()) stack.push(r)
      else if (st.isFile()) out.push(r)
      else return `it holds ${r}, which is not a regular file${st.isSymbolicLink() ? ' (a symbolic link)' : ''}`
    }
  }
  return out
}

/**
 * Null when `dir` may be replaced; otherwise the reason. `listedFiles` reads the folder's manifest and returns
 * every file the export wrote (manifest files included), or a reason when there is no valid manifest of ours.
 */
export function replaceRefusal(dir: string, listedFiles: (dir: string) => string[] | string): string | null {
  let st
  try {
    st = lstatSync(dir)
  } catch {
    return null // gone: nothing to replace
  }
  if (st.isSymbolicLink()) return 'it is a symbolic link'
  if (!st.isDirectory()) return 'it is a file, not a folder'
  const present = regularFilesUnder(dir)
  if (typeof present === 'string') return present
  if (present.length === 0) return null
  let listed: string[] | string
  try {
    listed = listedFiles(dir)
  } catch {
    // no parser message here: JSON errors quote the file's first bytes
    listed = 'its manifest cannot be read'
  }
  if (typeof listed === 'string') return `it is not a previous Tessera export (${listed})`
  const known = new Set(listed)
  const foreign = present.filter((f) => !known.has(f))
  if (foreign.length) return `it holds ${foreign.length} file(s) its export manifest does not list (e.g. ${foreign[0]})`
  return null
}

/** Throw ReplaceRefusedError unless `dir` may be replaced. */
export function assertReplaceable(dir: string, listedFiles: (dir: string) => string[] | string): void {
  const reason = replaceRefusal(dir, listedFiles)
  if (reason !== null) throw new ReplaceRefusedError(dir, reason)
}
