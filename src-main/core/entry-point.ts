// Finds a process entry (job runner, OpenSlide host) from source (.ts under tsx) or from the bundled build, where the
// caller may sit in a chunk folder below the entry files.
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { createRequire } from 'node:module'

/**
 * `--import` argument that loads tsx in a child process. An absolute URL: a bare `tsx` would be resolved from the
 * child's working directory, which breaks when the CLI runs from another folder.
 */
export function tsxImportArgs(): string[] {
  return ['--import', pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href]
}

/** `sourceDir`: where the .ts entry sits relative to the caller in the source tree (bundles put every entry together). */
export function processEntry(callerUrl: string, name: string, sourceDir = '.'): { file: string; execArgv: string[] } {
  const here = dirname(fileURLToPath(callerUrl))
  const ts = join(here, sourceDir, `${name}.ts`)
  if (existsSync(ts)) return { file: ts, execArgv: tsxImportArgs() }
  for (const dir of [here, join(here, '..')]) {
    const js = join(dir, `${name}.js`)
    if (existsSync(js)) return { file: js, execArgv: [] }
  }
  throw new Error(`cannot find the ${name} entry next to ${here} (is the build complete?)`)
}
