// Export bundles: a folder with the weights, manifest.json and SHA256SUMS (sha256sum format, checkable with
// `sha256sum -c SHA256SUMS`). Reading a bundle verifies every listed file, so any changed byte is detected.
import { existsSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { sha256File, writeDurable } from './atomic-files'
import { parseManifest, type ModelManifest } from './manifest'
import { describeJsonError } from '../core/safe-open'

export const SUMS_FILE = 'SHA256SUMS'

export async function writeSums(dir: string, names: string[]): Promise<void> {
  const lines: string[] = []
  for (const n of names) lines.push(`${await sha256File(join(dir, n))}  ${n}`)
  writeDurable(join(dir, SUMS_FILE), lines.join('\n') + '\n')
}

/** Files an earlier model export wrote, from its SHA256SUMS (which must cover a valid manifest.json), or why not. */
export function bundleFiles(dir: string): string[] | string {
  let sums: string[]
  try {
    sums = readFileSync(join(dir, SUMS_FILE), 'utf8').split('\n').filter((l) => l.trim().length > 0)
  } catch {
    return `no readable ${SUMS_FILE}`
  }
  const names: string[] = []
  for (const line of sums) {
    const m = /^[0-9a-f]{64} [ *]([A-Za-z0-9._-]+)$/.exec(line)
    if (!m) return `${SUMS_FILE} is not in sha256sum format`
    names.push(m[1]!)
  }
  if (!names.includes('manifest.json')) return `${SUMS_FILE} does not cover manifest.json`
  try {
    parseManifest(JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as unknown, join(dir, 'manifest.json'))
  } catch {
    return 'manifest.json is not a Tessera model manifest'
  }
  return [...names, SUMS_FILE]
}

export interface BundleInfo {
  manifest: ModelManifest
  weightsFile: string
  files: { name: string; bytes: number; sha256: string }[]
}

/** Verify every file listed in SHA256SUMS; `requireWeights` also checks that the manifest's weights file is covered. */
export async function readBundleManifest(dir: string, requireWeights = true): Promise<BundleInfo> {
  const sumsPath = join(dir, SUMS_FILE)
  if (!existsSync(sumsPath)) throw new Error(`${dir}: not a model bundle (no ${SUMS_FILE}); give the weights file instead`)
  const sums = readFileSync(sumsPath, 'utf8').split('\n').filter((l) => l.trim().length > 0)
  const files: BundleInfo['files'] = []
  for (const [i, line] of sums.entries()) {
    const m = /^([0-9a-f]{64}) [ *]([A-Za-z0-9._-]+)$/.exec(line)
    // describe, never quote: the folder is the caller's and its content unknown
    if (!m) throw new Error(`${sumsPath}: line ${i + 1} is not "<sha256>  <file name>" (sha256sum format)`)
    const [, expected, name] = m as unknown as [string, string, string]
    const path = join(dir, name)
    if (!existsSync(path)) throw new Error(`${dir}: ${name} is listed in ${SUMS_FILE} but missing`)
    const actual = await sha256File(path)
    if (actual !== expected) throw new Error(`${dir}: ${name} does not match its SHA-256 in ${SUMS_FILE} (file changed or corrupted)`)
    files.push({ name, bytes: statSync(path).size, sha256: actual })
  }
  if (!files.some((f) => f.name === 'manifest.json')) throw new Error(`${dir}: ${SUMS_FILE} does not cover manifest.json`)
  let raw: unknown
  try {
    raw = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as unknown
  } catch (e) {
    throw new Error(`${join(dir, 'manifest.json')}: ${describeJsonError(e)}`)
  }
  const manifest = parseManifest(raw, join(dir, 'manifest.json'))
  if (requireWeights && !files.some((f) => f.name === manifest.weightsFile)) throw new Error(`${dir}: ${SUMS_FILE} does not cover the weights ${manifest.weightsFile}`)
  return { manifest, weightsFile: manifest.weightsFile, files }
}
