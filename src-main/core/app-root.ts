// Locates the application root (the folder with Tessera's package.json), from source or from a build.
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

let cached: string | null = null

export function appRoot(): string {
  if (cached) return cached
  let dir = dirname(fileURLToPath(import.meta.url))
  for (;;) {
    const pkg = join(dir, 'package.json')
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'tessera') return (cached = dir)
      } catch {
        // not ours; keep walking up
      }
    }
    const up = dirname(dir)
    if (up === dir) throw new Error('cannot find the Tessera application root (package.json named "tessera")')
    dir = up
  }
}
