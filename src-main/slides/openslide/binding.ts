// Direct (in-process, synchronous) koffi binding to the system libopenslide. Used inside the crash-isolating
// OpenSlide host process, and by tests as the reference reader. A C crash here kills the calling process.
import koffi from 'koffi'
import type { LibraryHandle } from 'koffi'

type KoffiFunction = ReturnType<LibraryHandle['func']>

interface Fns {
  open: KoffiFunction
  close: KoffiFunction
  error: KoffiFunction
  levelCount: KoffiFunction
  levelDims: KoffiFunction
  levelDs: KoffiFunction
  propNames: KoffiFunction
  propValue: KoffiFunction
  assocNames: KoffiFunction
  assocDims: KoffiFunction
  readAssoc: KoffiFunction
  readRegion: KoffiFunction
  version: KoffiFunction
}

let fns: Fns | null | undefined
let loadError = ''

/** Library names tried in order: OPENSLIDE_LIB alone when set (explicit choice, also 'off'), else 4.x then 3.x. */
const CANDIDATES = (): string[] => {
  const explicit = process.env['OPENSLIDE_LIB']
  if (explicit) return explicit === 'off' ? [] : [explicit]
  return ['libopenslide.so.1', 'libopenslide.so.0', 'libopenslide-1.dll', 'libopenslide.1.dylib', 'libopenslide.0.dylib']
}

function load(): Fns | null {
  if (fns !== undefined) return fns
  for (const name of CANDIDATES()) {
    try {
      const lib = koffi.load(name)
      fns = {
        open: lib.func('void *openslide_open(const char *filename)'),
        close: lib.func('void openslide_close(void *osr)'),
        error: lib.func('const char *openslide_get_error(void *osr)'),
        levelCount: lib.func('int32_t openslide_get_level_count(void *osr)'),
        levelDims: lib.func('void openslide_get_level_dimensions(void *osr, int32_t level, _Out_ int64_t *w, _Out_ int64_t *h)'),
        levelDs: lib.func('double openslide_get_level_downsample(void *osr, int32_t level)'),
        propNames: lib.func('void *openslide_get_property_names(void *osr)'),
        propValue: lib.func('const char *openslide_get_property_value(void *osr, const char *name)'),
        assocNames: lib.func('void *openslide_get_associated_image_names(void *osr)'),
        assocDims: lib.func('void openslide_get_associated_image_dimensions(void *osr, const char *name, _Out_ int64_t *w, _Out_ int64_t *h)'),
        readAssoc: lib.func('void openslide_read_associated_image(void *osr, const char *name, void *dest)'),
        readRegion: lib.func('void openslide_read_region(void *osr, void *dest, int64_t x, int64_t y, int32_t level, int64_t w, int64_t h)'),
        version: lib.func('const char *openslide_get_version()')
      }
      return fns
    } catch (e) {
      loadError = e instanceof Error ? e.message : String(e)
    }
  }
  if (process.env['OPENSLIDE_LIB'] === 'off') loadError = 'disabled by OPENSLIDE_LIB=off'
  fns = null
  return null
}

/** Whether libopenslide can be loaded in this process; `reason` says why not. */
export function openSlideAvailability(): { available: boolean; version: string | null; reason: string } {
  const f = load()
  return f ? { available: true, version: f.version() as string, reason: '' } : { available: false, version: null, reason: loadError || 'libopenslide not found' }
}

/** NULL-terminated `const char **` → strings. */
function stringArray(ptr: unknown): string[] {
  const out: string[] = []
  if (!ptr) return out
  for (let i = 0; i < 100000; i++) {
    const s = koffi.decode(ptr, i * 8, 'const char *') as string | null
    if (s === null) return out
    out.push(s)
  }
  return out
}

/** Premultiplied native-endian ARGB (BGRA bytes on little-endian) → straight RGBA, in place. */
export function argbToRgba(b: Uint8Array): Uint8Array {
  for (let i = 0; i < b.length; i += 4) {
    const B = b[i]!
    const G = b[i + 1]!
    const R = b[i + 2]!
    const A = b[i + 3]!
    if (A === 255 || A === 0) {
      b[i] = R
      b[i + 2] = B
    } else {
      b[i] = Math.round((R * 255) / A)
      b[i + 1] = Math.round((G * 255) / A)
      b[i + 2] = Math.round((B * 255) / A)
    }
  }
  return b
}

export interface OpenSlideInfo {
  levels: { width: number; height: number; downsample: number }[]
  properties: Record<string, string>
  associated: Record<string, { width: number; height: number }>
}

export class OpenSlideHandle {
  private handle: unknown
  readonly info: OpenSlideInfo

  constructor(readonly path: string) {
    const f = load()
    if (!f) throw new Error(`OpenSlide is not available (${loadError})`)
    const h = f.open(path)
    if (!h) throw new Error('OpenSlide does not recognise this file')
    const err = f.error(h) as string | null
    if (err) {
      f.close(h)
      throw new Error(`OpenSlide: ${err}`)
    }
    this.handle = h
    const levels = Array.from({ length: f.levelCount(h) as number }, (_, i) => {
      const w = [0n]
      const hh = [0n]
      f.levelDims(h, i, w, hh)
      return { width: Number(w[0]), height: Number(hh[0]), downsample: f.levelDs(h, i) as number }
    })
    const properties: Record<string, string> = {}
    for (const k of stringArray(f.propNames(h))) properties[k] = (f.propValue(h, k) as string | null) ?? ''
    const associated: Record<string, { width: number; height: number }> = {}
    for (const name of stringArray(f.assocNames(h))) {
      const w = [0n]
      const hh = [0n]
      f.assocDims(h, name, w, hh)
      associated[name] = { width: Number(w[0]), height: Number(hh[0]) }
    }
    this.info = { levels, properties, associated }
  }

  private check(): Fns {
    const f = load()!
    if (!this.handle) throw new Error('OpenSlide handle is closed')
    const err = f.error(this.handle) as string | null
    if (err) throw new Error(`OpenSlide: ${err}`)
    return f
  }

  /** RGBA (straight alpha) of a region; (x, y) level-0, (w, h) at `level`. */
  readRegion(x: number, y: number, level: number, w: number, h: number): Uint8Array {
    const f = this.check()
    const buf = Buffer.alloc(w * h * 4)
    f.readRegion(this.handle, buf, x, y, level, w, h)
    this.check()
    return argbToRgba(buf)
  }

  readAssociated(name: string): { width: number; height: number; data: Uint8Array } {
    const f = this.check()
    const dims = this.info.associated[name]
    if (!dims) throw new Error(`no associated image ${name}`)
    const buf = Buffer.alloc(dims.width * dims.height * 4)
    f.readAssoc(this.handle, name, buf)
    this.check()
    return { ...dims, data: argbToRgba(buf) }
  }

  close(): void {
    if (this.handle) load()!.close(this.handle)
    this.handle = null
  }
}
