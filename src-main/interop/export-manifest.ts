// The manifest of a features export folder (<out>/tessera-features-manifest.json): size and SHA-256 of every file
// Tessera wrote there, so a re-run verifies what it skips instead of trusting that a file under the final name is
// whole. Rewritten atomically (temp + fsync + rename) after each exported file.
import { existsSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import { sha256File, writeDurable } from '../models/atomic-files'
import { DiskFullError, isDiskFull } from '../core/disk-full'

export const FEATURES_MANIFEST = 'tessera-features-manifest.json'

export interface ExportEntry {
  bytes: number
  sha256: string
  slide: string
  featureSetId: number
}

interface ManifestFile {
  kind: 'tessera-features-export'
  version: 1
  files: Record<string, ExportEntry>
}

export type Verdict = { ok: true } | { ok: false; known: boolean; why: string }

export class ExportManifest {
  private readonly files: Record<string, ExportEntry>

  private constructor(
    readonly root: string,
    files: Record<string, ExportEntry>
  ) {
    this.files = files
  }

  /** Load the manifest of `root` (an empty one when absent; a damaged one is an error naming it). */
  static load(root: string): ExportManifest {
    const path = join(root, FEATURES_MANIFEST)
    if (!existsSync(path)) return new ExportManifest(root, {})
    let parsed: ManifestFile
    try {
      parsed = JSON.parse(readFileSync(path, 'utf8')) as ManifestFile
    } catch {
      throw new Error(`${path}: damaged export manifest (not JSON); remove it and export again with --force`)
    }
    if (parsed?.kind !== 'tessera-features-export' || typeof parsed.files !== 'object' || parsed.files === null) {
      throw new Error(`${path}: not a Tessera features export manifest`)
    }
    return new ExportManifest(root, parsed.files)
  }

  /** Does `file` (existing) match what this manifest recorded? Size first (cheap), then the hash. */
  async verify(file: string): Promise<Verdict> {
    const e = this.files[relative(this.root, file)]
    if (!e) return { ok: false, known: false, why: 'not listed in the export manifest (not written by this export, or its write never completed)' }
    const bytes = statSync(file).size
    if (bytes !== e.bytes) return { ok: false, known: true, why: `${bytes} bytes, the manifest recorded ${e.bytes}` }
    if ((await sha256File(file)) !== e.sha256) return { ok: false, known: true, why: 'SHA-256 differs from the manifest' }
    return { ok: true }
  }

  /** Record a completed file and save the manifest durably. */
  async record(file: string, slide: string, featureSetId: number): Promise<void> {
    this.files[relative(this.root, file)] = { bytes: statSync(file).size, sha256: await sha256File(file), slide, featureSetId }
    this.save()
  }

  private save(): void {
    const path = join(this.root, FEATURES_MANIFEST)
    const tmp = `${path}.tmp-${process.pid}`
    const body: ManifestFile = { kind: 'tessera-features-export', version: 1, files: this.files }
    try {
      writeDurable(tmp, JSON.stringify(body, null, 2) + '\n')
      renameSync(tmp, path)
    } catch (e) {
      rmSync(tmp, { force: true })
      if (isDiskFull(e)) throw new DiskFullError(path, 'the export manifest could not be saved')
      throw e
    }
  }
}
