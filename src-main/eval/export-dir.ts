// Atomic export folders: every file is written into a hidden sibling temp folder with a SHA-256 manifest, fsynced,
// then the folder is renamed into place. An existing export is replaced only with `force` (old one removed after the swap).
import { createHash, randomBytes } from 'node:crypto'
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeSync } from 'node:fs'
import { basename, dirname, join, relative, sep } from 'node:path'
import { assertReplaceable } from '../core/export-replace'

export interface ManifestEntry {
  path: string
  bytes: number
  sha256: string
}

export interface ExportManifest {
  created_at: string
  generator: string
  files: ManifestEntry[]
}

export class ExportExistsError extends Error {
  constructor(readonly dir: string) {
    super(`${dir} already exists and is not empty: choose another --out or pass --force to replace it`)
    this.name = 'ExportExistsError'
  }
}

function writeFileSynced(file: string, data: Uint8Array | string): void {
  mkdirSync(dirname(file), { recursive: true })
  const fd = openSync(file, 'w')
  try {
    const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data
    let off = 0
    while (off < buf.byteLength) off += writeSync(fd, buf, off, buf.byteLength - off)
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
}

function fsyncDir(dir: string): void {
  try {
    const fd = openSync(dir, 'r')
    fsyncSync(fd)
    closeSync(fd)
  } catch {
    // some filesystems refuse fsync on folders; the rename is still atomic there
  }
}

function listFiles(root: string, dir = root): string[] {
  const out: string[] = []
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const full = join(dir, entry.name)
    if (entry.isDirectory()) out.push(...listFiles(root, full))
    else if (entry.isFile()) out.push(relative(root, full).split(sep).join('/'))
  }
  return out
}

export function sha256File(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex')
}

/** Files a previous evaluation export wrote, from its manifest.json (a reason string when it has none of ours). */
export function evalExportFiles(dir: string): string[] | string {
  let manifest: Partial<ExportManifest>
  try {
    manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Partial<ExportManifest>
  } catch {
    return 'no readable manifest.json'
  }
  if (typeof manifest.generator !== 'string' || !manifest.generator.startsWith('tessera') || !Array.isArray(manifest.files)) return 'manifest.json is not a Tessera export manifest'
  return [...manifest.files.map((f) => String(f?.path)), 'manifest.json']
}

/** A staging folder: write files into it (directly or through `path()` for libraries that write by name), then commit. */
export class ExportStaging {
  readonly tempDir: string
  private committed = false

  constructor(
    readonly outDir: string,
    private readonly options: { force: boolean; generator: string }
  ) {
    if (existsSync(outDir) && (!statSync(outDir).isDirectory() || readdirSync(outDir).length > 0) && !options.force) throw new ExportExistsError(outDir)
    // force replaces only an earlier export of ours (checked again at commit: the folder may change meanwhile)
    if (options.force) assertReplaceable(outDir, evalExportFiles)
    mkdirSync(dirname(outDir), { recursive: true })
    this.tempDir = join(dirname(outDir), `.${basename(outDir)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`)
    mkdirSync(this.tempDir)
  }

  /** Absolute path of a file inside the staging folder (its parent folders are created). */
  path(rel: string): string {
    if (rel.startsWith('/') || rel.split('/').includes('..')) throw new Error(`export path must be relative and stay inside the folder: ${rel}`)
    const full = join(this.tempDir, rel)
    mkdirSync(dirname(full), { recursive: true })
    return full
  }

  write(rel: string, data: Uint8Array | string): void {
    writeFileSynced(this.path(rel), data)
  }

  /** Hash every staged file into manifest.json, then swap the folder into place. */
  commit(): ExportManifest {
    if (this.committed) throw new Error('export already committed')
    const files = listFiles(this.tempDir).filter((f) => f !== 'manifest.json')
    const manifest: ExportManifest = {
      created_at: new Date().toISOString(),
      generator: this.options.generator,
      files: files.map((f) => {
        const full = join(this.tempDir, f)
        const bytes = readBytes(full)
        return { path: f, bytes: bytes.byteLength, sha256: sha256File(bytes) }
      })
    }
    writeFileSynced(join(this.tempDir, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n')
    fsyncDir(this.tempDir)
    let old: string | null = null
    if (existsSync(this.outDir)) {
      if (!this.options.force && (!statSync(this.outDir).isDirectory() || readdirSync(this.outDir).length > 0)) throw new ExportExistsError(this.outDir)
      assertReplaceable(this.outDir, evalExportFiles)
      old = `${this.tempDir}.old`
      renameSync(this.outDir, old)
    }
    renameSync(this.tempDir, this.outDir)
    fsyncDir(dirname(this.outDir))
    if (old) rmSync(old, { recursive: true, force: true })
    this.committed = true
    return manifest
  }

  /** Drop the staging folder (on failure). */
  abort(): void {
    if (!this.committed) rmSync(this.tempDir, { recursive: true, force: true })
  }
}

function readBytes(file: string): Uint8Array {
  return readFileSync(file)
}

/** Check a committed export against its manifest; returns the problems (empty = intact). */
export function verifyExport(dir: string): string[] {
  const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as ExportManifest
  const problems: string[] = []
  for (const f of manifest.files) {
    const full = join(dir, f.path)
    if (!existsSync(full)) {
      problems.push(`${f.path}: missing`)
      continue
    }
    if (sha256File(readBytes(full)) !== f.sha256) problems.push(`${f.path}: SHA-256 differs from the manifest`)
  }
  return problems
}
