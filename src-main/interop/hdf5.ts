// HDF5 feature files via h5wasm: write TRIDENT layout (atomic), read TRIDENT/CLAM/STAMP layouts with caps checked
// before any dataset is read. Reads of user files go through hdf5-isolated.ts (child process + timeout), never here
// directly in a long-lived process: HDF5 has a long history of crafted-file bugs.
import fs, { closeSync, fsyncSync, openSync, readSync, renameSync, rmSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import type * as H5Module from 'h5wasm/node'
import { decodeFloat16 } from '../store/float16'
import { openRegularFileSync, SafeOpenError } from '../core/safe-open'
import { DiskFullError, ensureFreeSpace, freeBytes, isDiskFull } from '../core/disk-full'

/** Caps checked before allocation (reliability.md §5/§6). */
export const H5_LIMITS = {
  maxFileBytes: 8 * 2 ** 30,
  maxRows: 5_000_000,
  maxDim: 65_536,
  /** N×D values read at once (2 GiB of float32) */
  maxValues: 2 ** 29,
  maxAttrValues: 4096
} as const

/** The 8 bytes every HDF5 file starts with (superblock at offset 0; user-block offsets are not supported). */
export const HDF5_SIGNATURE = Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a])

export type AttrValue = string | number | boolean | number[] | string[] | null

export interface FeatureFileData {
  file: string
  layout: 'trident' | 'clam' | 'stamp'
  /** N×D float32 */
  features: Float32Array
  dim: number
  count: number
  /** N×2 (x, y) as stored (level-0 px, or µm where coordsUnit is 'um') */
  coords: Float64Array
  coordsUnit: 'px' | 'um'
  /** attributes of the file root, `features` and `coords`, merged (dataset attributes win) */
  attrs: Record<string, AttrValue>
}

export class Hdf5FileError extends Error {
  constructor(file: string, problem: string) {
    super(`${file}: ${problem}`)
    this.name = 'Hdf5FileError'
  }
}

type H5 = typeof H5Module
let h5: Promise<H5> | null = null

async function loadH5(): Promise<H5> {
  h5 ??= import('h5wasm/node').then(async (m) => {
    await m.ready
    return m
  })
  return h5
}

function plain(v: unknown): AttrValue {
  if (v === null || v === undefined) return null
  if (typeof v === 'bigint') return Number(v)
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return v
  if (ArrayBuffer.isView(v)) {
    const arr = Array.from(v as unknown as ArrayLike<number | bigint>, (x) => Number(x))
    return arr.length === 1 ? (arr[0] as number) : arr
  }
  if (Array.isArray(v)) {
    if (v.every((x) => typeof x === 'string')) return v.length === 1 ? (v[0] as string) : (v as string[])
    const nums = v.map((x) => (typeof x === 'bigint' ? Number(x) : typeof x === 'number' ? x : NaN))
    return nums.length === 1 ? (nums[0] as number) : nums
  }
  return String(v)
}

/**
 * End-of-file address the superblock declares (versions 0–3), or null when the header is not one we know. Layout:
 * v0/v1 — sig(8) versions/sizes(8: offsets size at 13) K values(4) flags(4) [v1: 4 more] base, free-space, EOF…;
 * v2/v3 — sig(8) version(1) offsets size(1) lengths size(1) flags(1) base, extension, EOF…
 */
export function hdf5DeclaredEnd(head: Uint8Array): number | null {
  if (head.length < 12) return null
  const version = head[8]!
  const readAddr = (at: number, size: number): number | null => {
    if (at + size > head.length || ![2, 4, 8].includes(size)) return null
    let v = 0
    for (let i = size - 1; i >= 0; i--) v = v * 256 + head[at + i]!
    return v
  }
  if (version === 0 || version === 1) {
    const o = head[13]!
    const base = 24 + (version === 1 ? 4 : 0)
    const eof = readAddr(base + 2 * o, o)
    const baseAddr = readAddr(base, o)
    return eof === null || baseAddr === null ? null : baseAddr + eof
  }
  if (version === 2 || version === 3) {
    const o = head[9]!
    const eof = readAddr(12 + 2 * o, o)
    const baseAddr = readAddr(12, o)
    return eof === null || baseAddr === null ? null : baseAddr + eof
  }
  return null
}

/** Read a feature file (call only inside the isolated reader process). */
export async function readFeatureFileUnsafe(file: string): Promise<FeatureFileData> {
  let fd: number
  let size: number
  try {
    const opened = openRegularFileSync(file, { what: 'feature file' })
    fd = opened.fd
    size = opened.stats.size
  } catch (e) {
    if (e instanceof SafeOpenError) throw new Hdf5FileError(file, e.problem === 'not_found' ? 'file not found' : e.message.slice(file.length + 2))
    throw e
  }
  if (size > H5_LIMITS.maxFileBytes) {
    closeSync(fd)
    throw new Hdf5FileError(file, `file is ${size} bytes, above the ${H5_LIMITS.maxFileBytes}-byte cap`)
  }
  const head = Buffer.alloc(96)
  let got: number
  try {
    got = readSync(fd, head, 0, head.length, 0)
  } finally {
    closeSync(fd)
  }
  if (!head.subarray(0, 8).equals(HDF5_SIGNATURE)) {
    throw new Hdf5FileError(file, 'not an HDF5 file (signature missing)')
  }
  // a cut file is told apart before libhdf5 sees it (its own message for one is "name not defined!")
  const end = hdf5DeclaredEnd(head.subarray(0, got))
  if (end !== null && end > size) throw new Hdf5FileError(file, `truncated: the file is ${size} bytes but its HDF5 superblock says ${end}`)
  const m = await loadH5()
  let f: InstanceType<H5['File']>
  try {
    f = new m.File(file, 'r')
  } catch (e) {
    throw new Hdf5FileError(file, `cannot open HDF5: ${(e as Error).message}`)
  }
  try {
    const keys = f.keys()
    const featName = keys.includes('features') ? 'features' : keys.includes('feats') ? 'feats' : null
    if (!featName) throw new Hdf5FileError(file, `no "features" (TRIDENT/CLAM) or "feats" (STAMP) dataset; found: ${keys.join(', ') || 'nothing'}`)
    if (!keys.includes('coords')) throw new Hdf5FileError(file, `no "coords" dataset beside "${featName}"`)
    const fds = f.get(featName)
    const cds = f.get('coords')
    if (!(fds instanceof m.Dataset) || !(cds instanceof m.Dataset)) {
      throw new Hdf5FileError(file, `"${featName}" or "coords" is not a readable dataset (damaged file, or a group/link of that name)`)
    }
    const fshape = fds.shape ?? []
    // TRIDENT/CLAM sometimes keep a leading batch axis of 1
    const shape = fshape.length === 3 && fshape[0] === 1 ? fshape.slice(1) : fshape
    if (shape.length !== 2) throw new Hdf5FileError(file, `"${featName}" has shape [${fshape.join(',')}], expected N×D`)
    const [n, d] = shape as [number, number]
    if (n < 1 || n > H5_LIMITS.maxRows) throw new Hdf5FileError(file, `"${featName}" has ${n} rows (allowed 1..${H5_LIMITS.maxRows})`)
    if (d < 1 || d > H5_LIMITS.maxDim) throw new Hdf5FileError(file, `"${featName}" has dim ${d} (allowed 1..${H5_LIMITS.maxDim})`)
    if (n * d > H5_LIMITS.maxValues) throw new Hdf5FileError(file, `"${featName}" has ${n}×${d} values, above the ${H5_LIMITS.maxValues} cap`)
    const cshape = cds.shape ?? []
    if (cshape.length !== 2 || cshape[1] !== 2 || cshape[0] !== n) {
      throw new Hdf5FileError(file, `"coords" has shape [${cshape.join(',')}], expected [${n},2] to match "${featName}"`)
    }
    const fmeta = fds.metadata
    if (fmeta.type !== 1 || ![2, 4, 8].includes(fmeta.size)) {
      throw new Hdf5FileError(file, `"${featName}" must be float16/32/64, got HDF5 type ${fmeta.type} of ${fmeta.size} bytes`)
    }
    const cmeta = cds.metadata
    if (![0, 1].includes(cmeta.type) || cmeta.size > 8) throw new Hdf5FileError(file, `"coords" must be integer or float, got type ${cmeta.type}`)
    const raw = fds.value
    let features: Float32Array
    if (raw instanceof Float32Array) features = raw
    else if (raw instanceof Float64Array) features = Float32Array.from(raw)
    else if (raw instanceof Uint16Array && fmeta.size === 2) features = decodeFloat16(raw)
    else throw new Hdf5FileError(file, `"${featName}" could not be read as floats`)
    if (features.length !== n * d) throw new Hdf5FileError(file, `"${featName}" holds ${features.length} values, expected ${n * d}`)
    const craw = cds.value
    if (!ArrayBuffer.isView(craw)) throw new Hdf5FileError(file, '"coords" could not be read as numbers')
    const coords = Float64Array.from(craw as unknown as ArrayLike<number | bigint>, (x) => Number(x))
    const attrs: Record<string, AttrValue> = {}
    for (const holder of [f, fds, cds]) {
      for (const [name, attr] of Object.entries(holder.attrs)) {
        const meta = attr.metadata
        if (meta.total_size > H5_LIMITS.maxAttrValues) continue
        try {
          attrs[name] = plain(attr.value)
        } catch {
          attrs[name] = null
        }
      }
    }
    const unitAttr = String(attrs['unit'] ?? attrs['coords_unit'] ?? '').toLowerCase()
    const stamp = featName === 'feats'
    const coordsUnit: 'px' | 'um' = /^(um|µm|micron|microns|micrometer)/.test(unitAttr) || (stamp && unitAttr === '') ? 'um' : 'px'
    const layout = stamp ? 'stamp' : 'patch_size_level0' in attrs || 'encoder' in attrs || 'target_magnification' in attrs ? 'trident' : 'clam'
    return { file, layout, features, dim: d, count: n, coords, coordsUnit, attrs }
  } catch (e) {
    if (e instanceof Hdf5FileError) throw e
    // h5wasm/libhdf5 errors on damaged files are terse library noise ("error - name not defined!"): describe instead
    throw new Hdf5FileError(file, 'damaged or unsupported HDF5 structure (the HDF5 library cannot read its objects; the file may be truncated or corrupt)')
  } finally {
    try {
      f.close()
    } catch {
      // a damaged file may fail to close cleanly; the reader process exits anyway
    }
  }
}

export interface TridentAttrs {
  patchSize: number
  patchSizeLevel0: number
  overlap: number
  targetMagnification: number
  level0Magnification: number
  level0Width: number
  level0Height: number
  name: string
  encoder: string
  mpp: number
  weightHash: string
  appVersion: string
  extra?: Record<string, string | number>
}

/** TRIDENT folder naming: `<mag>x_<ps>px_<ov>px_overlap/features_<encoder>/<slide>.h5`. */
export function tridentPath(root: string, a: Pick<TridentAttrs, 'targetMagnification' | 'patchSize' | 'overlap' | 'encoder' | 'name'>): string {
  const safe = (s: string): string => s.replace(/[^A-Za-z0-9._-]+/g, '_')
  const mag = Number.isInteger(a.targetMagnification) ? String(a.targetMagnification) : a.targetMagnification.toFixed(2)
  return join(root, `${mag}x_${a.patchSize}px_${a.overlap}px_overlap`, `features_${safe(a.encoder)}`, `${safe(a.name)}.h5`)
}

function fsyncPath(path: string, flags: 'r' | 'r+'): void {
  const fd = openSync(path, flags)
  try {
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
}

/**
 * Run synchronous h5wasm calls with their stderr captured. Quirk: libhdf5 reports failed writes (ENOSPC included)
 * only as a diagnostic stack printed to fd 2 — hundreds of lines — and h5wasm's close() then returns as if all went
 * well. The wasm build's NODERAWFS writes fd 2 with fs.writeSync (console.error where a console is wired), so both
 * are diverted for the duration of the synchronous call; the captured text tells us what failed and the user sees
 * one clear line instead. Nothing else can interleave: the section is synchronous.
 */
function withHdf5Diagnostics<T>(fn: () => T): { value?: T; error?: unknown; diagnostics: string } {
  const writeSync = fs.writeSync
  const stderrWrite = process.stderr.write
  let diagnostics = ''
  const text = (chunk: unknown): string => (typeof chunk === 'string' ? chunk : ArrayBuffer.isView(chunk) ? Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength).toString('utf8') : '')
  fs.writeSync = ((fd: number, buffer: unknown, ...rest: unknown[]): number => {
    if (fd !== 2) return (writeSync as (...a: unknown[]) => number)(fd, buffer, ...rest)
    const t = typeof buffer === 'string' ? buffer : text(ArrayBuffer.isView(buffer) ? Buffer.from(buffer.buffer, buffer.byteOffset + ((rest[0] as number) ?? 0), (rest[1] as number) ?? buffer.byteLength) : buffer)
    diagnostics += t
    return typeof buffer === 'string' ? Buffer.byteLength(buffer) : ((rest[1] as number) ?? (buffer as ArrayBufferView).byteLength)
  }) as typeof fs.writeSync
  process.stderr.write = ((chunk: unknown): boolean => {
    diagnostics += text(chunk)
    return true
  }) as typeof process.stderr.write
  try {
    return { value: fn(), diagnostics }
  } catch (error) {
    return { error, diagnostics }
  } finally {
    fs.writeSync = writeSync
    process.stderr.write = stderrWrite
  }
}

/** The few lines of an HDF5 diagnostic stack that say what failed (error message, major/minor class). */
function diagnosticSummary(text: string): string {
  const msg = /error message = '([^']+)'/.exec(text)?.[1]
  const minor = /minor: ([^\n]+)/.exec(text)?.[1]?.trim()
  return [msg, minor].filter(Boolean).join(', ') || text.split('\n').find((l) => l.trim())?.trim() || 'unknown error'
}

function sameValues(a: ArrayLike<number | bigint>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (Number(a[i]) !== b[i] && !(Number.isNaN(Number(a[i])) && Number.isNaN(b[i]))) return false
  return true
}

export interface WriteTridentOptions {
  /** skip the free-space check before writing (tests use it to reach the mid-write failure path) */
  skipSpaceCheck?: boolean
}

/**
 * Write one TRIDENT-layout file atomically: temp file in the same folder, fsync, read back and compare, rename,
 * fsync the folder. `coords` are level-0 px (int64 on disk). A kill or a full disk leaves either no file or the
 * complete one, never a damaged file under the final name; ENOSPC is reported as DiskFullError naming the file.
 * Cost of the read-back: one extra read of the file (page-cached), small next to extraction.
 */
export async function writeTridentFile(file: string, features: Float32Array, dim: number, coords: ArrayLike<number>, a: TridentAttrs, opts: WriteTridentOptions = {}): Promise<void> {
  const n = features.length / dim
  if (!Number.isInteger(n) || coords.length !== n * 2) throw new Error(`${file}: ${features.length} values and ${coords.length} coords do not form N×${dim} + N×2`)
  // payload + HDF5 metadata/attributes (a few KiB; 64 KiB is generous)
  if (!opts.skipSpaceCheck) ensureFreeSpace(dirname(file), file, features.byteLength + n * 16 + 65536)
  const m = await loadH5()
  const tmp = join(dirname(file), `.${basename(file)}.tmp-${process.pid}-${Date.now()}`)
  const coordsInt = BigInt64Array.from(Array.from(coords, (v) => BigInt(Math.round(v))))
  const failed = (problem: string): Error => {
    const full = /no space left on device/i.test(problem) || (freeBytes(dirname(file)) ?? Infinity) < 65536
    return full ? new DiskFullError(file, `HDF5 write failed (${problem})`) : new Error(`${file}: HDF5 write failed: ${problem}`)
  }
  try {
    const written = withHdf5Diagnostics(() => {
      const f = new m.File(tmp, 'w')
      try {
        const fds = f.create_dataset({ name: 'features', data: features, shape: [n, dim], dtype: '<f' })
        const cds = f.create_dataset({ name: 'coords', data: coordsInt, shape: [n, 2], dtype: '<q' })
        const int = (ds: typeof cds, k: string, v: number): void => ds.create_attribute(k, new BigInt64Array([BigInt(Math.round(v))]), [], '<q') // scalar int64, as TRIDENT writes
        int(cds, 'patch_size', a.patchSize)
        int(cds, 'patch_size_level0', a.patchSizeLevel0)
        int(cds, 'overlap', a.overlap)
        cds.create_attribute('target_magnification', a.targetMagnification)
        cds.create_attribute('level0_magnification', a.level0Magnification)
        int(cds, 'level0_width', a.level0Width)
        int(cds, 'level0_height', a.level0Height)
        cds.create_attribute('name', a.name)
        fds.create_attribute('encoder', a.encoder)
        f.create_attribute('mpp', a.mpp)
        f.create_attribute('encoder', a.encoder)
        f.create_attribute('weight_hash', a.weightHash)
        f.create_attribute('app', `tessera ${a.appVersion}`)
        for (const [k, v] of Object.entries(a.extra ?? {})) f.create_attribute(k, v)
      } finally {
        f.close()
      }
    })
    if (written.error !== undefined || written.diagnostics.trim()) {
      throw failed(written.diagnostics.trim() ? diagnosticSummary(written.diagnostics) : String((written.error as Error)?.message ?? written.error))
    }
    try {
      fsyncPath(tmp, 'r+')
    } catch (e) {
      if (isDiskFull(e)) throw new DiskFullError(file, 'fsync of the written file failed')
      throw e
    }
    // read back: libhdf5 can lose writes without raising (see withHdf5Diagnostics); holes read back as zeros
    const check = withHdf5Diagnostics(() => {
      const f = new m.File(tmp, 'r')
      try {
        const fv = (f.get('features') as InstanceType<H5['Dataset']> | null)?.value as ArrayLike<number> | undefined
        const cv = (f.get('coords') as InstanceType<H5['Dataset']> | null)?.value as ArrayLike<bigint> | undefined
        return fv !== undefined && cv !== undefined && sameValues(fv, features) && sameValues(cv, Array.from(coordsInt, Number))
      } finally {
        f.close()
      }
    })
    if (check.value !== true) throw failed(check.diagnostics.trim() ? diagnosticSummary(check.diagnostics) : 'the written file does not read back the same values')
    renameSync(tmp, file)
    fsyncPath(dirname(file), 'r')
  } catch (e) {
    rmSync(tmp, { force: true })
    if (!(e instanceof DiskFullError) && isDiskFull(e)) throw new DiskFullError(file, (e as Error).message)
    throw e
  }
}
