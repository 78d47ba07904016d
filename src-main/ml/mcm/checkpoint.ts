// Atomic checkpoint generations: every part is written into a staging directory and fsynced, the SHA-256 manifest is
// written last, then the directory is renamed into place and the parent fsynced. Two verified generations are kept;
// a corrupt latest generation falls back to the previous one with a notice; a manifest mismatch never loads.
import { createHash } from 'node:crypto'
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs'
import { join } from 'node:path'

export interface CheckpointManifest {
  format: 'tessera-mcm-checkpoint/1'
  step: number
  files: Record<string, { bytes: number; sha256: string }>
}

export interface LoadedCheckpoint {
  step: number
  dir: string
  manifestSha256: string
  files: Record<string, Buffer>
  /** generations skipped because they failed verification */
  notices: string[]
}

export interface SaveHooks {
  /** called after each part is in the staging dir (tests use it to kill the process mid-write) */
  afterPart?: (name: string) => Promise<void> | void
}

const GEN = /^gen-(\d{9})$/
const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex')

function writeDurable(file: string, data: Uint8Array | string): void {
  const fd = openSync(file, 'w')
  try {
    const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data
    let off = 0
    while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off)
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
}

function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r')
  try {
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
}

/** Remove staging and trash leftovers of killed writers. Returns what was removed. */
export function cleanStaging(dir: string): string[] {
  if (!existsSync(dir)) return []
  const removed: string[] = []
  for (const name of readdirSync(dir)) {
    if (name.startsWith('.staging-') || name.startsWith('.trash-')) {
      rmSync(join(dir, name), { recursive: true, force: true })
      removed.push(name)
    }
  }
  return removed
}

export function generationName(step: number): string {
  return `gen-${String(step).padStart(9, '0')}`
}

/** Write one generation atomically and prune to `keep` generations. Returns the final dir and manifest hash. */
export async function saveCheckpoint(
  dir: string,
  step: number,
  parts: Record<string, Uint8Array | string>,
  keep = 2,
  hooks: SaveHooks = {}
): Promise<{ dir: string; manifestSha256: string }> {
  mkdirSync(dir, { recursive: true })
  const staging = join(dir, `.staging-${step}-${process.pid}-${Date.now()}`)
  mkdirSync(staging)
  const manifest: CheckpointManifest = { format: 'tessera-mcm-checkpoint/1', step, files: {} }
  for (const [name, data] of Object.entries(parts)) {
    const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data
    writeDurable(join(staging, name), buf)
    manifest.files[name] = { bytes: buf.length, sha256: sha256(buf) }
    await hooks.afterPart?.(name)
  }
  const manifestText = JSON.stringify(manifest, null, 1)
  writeDurable(join(staging, 'manifest.json'), manifestText)
  fsyncDir(staging)
  const final = join(dir, generationName(step))
  if (existsSync(final)) renameSync(final, join(dir, `.trash-${step}-${process.pid}-${Date.now()}`))
  renameSync(staging, final)
  fsyncDir(dir)
  cleanStaging(dir)
  const gens = readdirSync(dir).filter((n) => GEN.test(n)).sort()
  for (const old of gens.slice(0, Math.max(0, gens.length - keep))) rmSync(join(dir, old), { recursive: true, force: true })
  return { dir: final, manifestSha256: sha256(Buffer.from(manifestText, 'utf8')) }
}

/** Verify one generation; returns its files, or a reason it is unusable. */
export function verifyGeneration(genDir: string): { ok: true; manifest: CheckpointManifest; files: Record<string, Buffer>; manifestSha256: string } | { ok: false; reason: string } {
  const mpath = join(genDir, 'manifest.json')
  if (!existsSync(mpath)) return { ok: false, reason: 'manifest.json missing' }
  let manifest: CheckpointManifest
  let raw: Buffer
  try {
    raw = readFileSync(mpath)
    manifest = JSON.parse(raw.toString('utf8')) as CheckpointManifest
  } catch (e) {
    return { ok: false, reason: `manifest.json unreadable: ${(e as Error).message}` }
  }
  if (manifest.format !== 'tessera-mcm-checkpoint/1') return { ok: false, reason: `unknown format ${String(manifest.format)}` }
  const files: Record<string, Buffer> = {}
  for (const [name, info] of Object.entries(manifest.files)) {
    const p = join(genDir, name)
    if (!existsSync(p)) return { ok: false, reason: `${name} missing` }
    const buf = readFileSync(p)
    if (buf.length !== info.bytes) return { ok: false, reason: `${name} has ${buf.length} bytes, manifest says ${info.bytes}` }
    if (sha256(buf) !== info.sha256) return { ok: false, reason: `${name} SHA-256 does not match the manifest` }
    files[name] = buf
  }
  return { ok: true, manifest, files, manifestSha256: sha256(raw) }
}

/** Newest verified generation, or null when there is none (then `notices` explain what was skipped). */
export function loadLatestCheckpoint(dir: string): LoadedCheckpoint | null {
  if (!existsSync(dir)) return null
  cleanStaging(dir)
  const notices: string[] = []
  const gens = readdirSync(dir).filter((n) => GEN.test(n)).sort().reverse()
  for (const g of gens) {
    const v = verifyGeneration(join(dir, g))
    if (v.ok) return { step: v.manifest.step, dir: join(dir, g), manifestSha256: v.manifestSha256, files: v.files, notices }
    notices.push(`checkpoint ${join(dir, g)} skipped: ${v.reason}`)
  }
  if (notices.length) throw new Error(`no usable checkpoint in ${dir}: ${notices.join('; ')}`)
  return null
}

/** Pack named float32 tensors into one buffer + JSON index (little-endian, offsets in bytes). */
export function packTensors(tensors: Record<string, { shape: number[]; data: Float32Array }>): { bin: Uint8Array; index: string } {
  const entries = Object.entries(tensors)
  const total = entries.reduce((a, [, t]) => a + t.data.length * 4, 0)
  const bin = new Uint8Array(total)
  const index: Record<string, { shape: number[]; offset: number; length: number }> = {}
  let off = 0
  for (const [name, t] of entries) {
    bin.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.length * 4), off)
    index[name] = { shape: t.shape, offset: off, length: t.data.length }
    off += t.data.length * 4
  }
  return { bin, index: JSON.stringify(index) }
}

export function unpackTensors(bin: Buffer, indexText: string): Record<string, { shape: number[]; data: Float32Array }> {
  const index = JSON.parse(indexText) as Record<string, { shape: number[]; offset: number; length: number }>
  const out: Record<string, { shape: number[]; data: Float32Array }> = {}
  for (const [name, e] of Object.entries(index)) {
    const copy = new Uint8Array(e.length * 4)
    copy.set(bin.subarray(e.offset, e.offset + e.length * 4))
    out[name] = { shape: e.shape, data: new Float32Array(copy.buffer) }
  }
  return out
}
