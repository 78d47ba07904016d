// Expand the paths given to slide.add: files as they are; folders walked recursively (symlinked folders are not
// followed, hidden entries skipped). Whether a file is a slide is decided later by the registry, by content.
import { readdir, stat } from 'node:fs/promises'
import { join, resolve } from 'node:path'

/** Hard cap so a mistaken root folder cannot queue millions of files. */
export const MAX_SCANNED_FILES = 100_000

export interface ScanEntry {
  path: string
  /** true when the user named this file explicitly (errors are then recorded, never skipped) */
  explicit: boolean
  isDirectory: boolean
}

export async function expandPaths(paths: string[]): Promise<{ entries: ScanEntry[]; missing: string[] }> {
  const entries: ScanEntry[] = []
  const missing: string[] = []
  const walk = async (dir: string): Promise<void> => {
    const list = await readdir(dir, { withFileTypes: true })
    list.sort((a, b) => a.name.localeCompare(b.name))
    for (const e of list) {
      if (e.name.startsWith('.')) continue
      if (entries.length >= MAX_SCANNED_FILES) throw new Error(`${dir}: more than ${MAX_SCANNED_FILES} files under the given folders`)
      const p = join(dir, e.name)
      if (e.isDirectory()) {
        entries.push({ path: p, explicit: false, isDirectory: true })
        await walk(p)
      } else if (e.isFile()) entries.push({ path: p, explicit: false, isDirectory: false })
    }
  }
  for (const raw of paths) {
    const p = resolve(raw)
    let st
    try {
      st = await stat(p)
    } catch {
      missing.push(p)
      continue
    }
    if (st.isDirectory()) {
      entries.push({ path: p, explicit: false, isDirectory: true })
      await walk(p)
    } else entries.push({ path: p, explicit: true, isDirectory: false })
  }
  return { entries, missing }
}
