// Slide registry: picks a reader by CONTENT (TIFF header + tags, DICOM preamble, folder contents), using the file
// extension only for formats recognised by name (MIRAX, VMS). npm-only readers first; OpenSlide for the rest.
import { readdir, stat } from 'node:fs/promises'
import { dirname, extname, join, resolve } from 'node:path'
import { DicomSlide } from './dicom/dicom-slide'
import { RandomAccessFile } from './io/random-access-file'
import { OpenSlideSource, probeOpenSlide } from './openslide/openslide-client'
import type { SlideSource } from './slide-source'
import { SlideError } from './slide-source'
import { T } from './tiff/tiff-image'
import { TiffParser } from './tiff/tiff-parser'
import { TiffSlide } from './tiff/tiff-slide'

export type SniffedFormat =
  | { kind: 'tiff'; bigTiff: boolean }
  /** a TIFF-based vendor format only OpenSlide reads (NDPI, Leica SCN, Ventana BIF…) */
  | { kind: 'openslide-tiff'; vendor: string }
  | { kind: 'dicom'; files: string[] }
  /** non-TIFF vendor formats recognised by extension (MIRAX, Hamamatsu VMS/VMU, Sakura SVSLIDE) */
  | { kind: 'openslide-other'; vendor: string }

const OTHER_EXTENSIONS: Record<string, string> = { '.mrxs': 'mirax', '.vms': 'hamamatsu', '.vmu': 'hamamatsu', '.svslide': 'sakura' }

export interface OpenSlideOptions {
  signal?: AbortSignal
  /** 'auto' (default): npm reader when it supports the file, else OpenSlide; 'openslide': force OpenSlide */
  prefer?: 'auto' | 'openslide'
}

function isDicomPreamble(head: Buffer): boolean {
  return head.length >= 132 && head.toString('latin1', 128, 132) === 'DICM'
}

async function sniffTiffVendor(file: RandomAccessFile): Promise<SniffedFormat> {
  const parser = await TiffParser.open(file)
  const first = await parser.readIfd(parser.firstIfdOffset)
  if (first.entries.has(T.NdpiMarker) || extname(file.path).toLowerCase() === '.ndpi') return { kind: 'openslide-tiff', vendor: 'hamamatsu' }
  const desc = (await parser.string(first, T.ImageDescription)) ?? ''
  if (/^<\?xml[^>]*>\s*<scn\b/i.test(desc) || desc.includes('http://www.leica-microsystems.com/scn')) return { kind: 'openslide-tiff', vendor: 'leica' }
  const xmp = first.entries.has(T.XMP) ? ((await parser.bytes(first, T.XMP, 1 << 20))?.toString('utf8') ?? '') : ''
  if (xmp.includes('iScan')) return { kind: 'openslide-tiff', vendor: 'ventana' }
  return { kind: 'tiff', bigTiff: parser.bigTiff }
}

/** What a path holds, from its bytes (and folder contents for DICOM series). */
export async function sniffSlide(path: string): Promise<SniffedFormat> {
  let st
  try {
    st = await stat(path)
  } catch {
    throw new SlideError(path, 'file not found', 'not_found')
  }
  if (st.isDirectory()) {
    const names = (await readdir(path)).sort()
    const dicom: string[] = []
    for (const n of names) {
      const full = join(path, n)
      const s = await stat(full).catch(() => null)
      if (!s?.isFile() || s.size < 132) continue
      const f = await RandomAccessFile.open(full)
      try {
        if (isDicomPreamble(await f.readUpTo(0, 132))) dicom.push(full)
      } finally {
        await f.close()
      }
    }
    if (dicom.length) return { kind: 'dicom', files: dicom }
    throw new SlideError(path, 'folder contains no DICOM files (expected a DICOM WSI series)', 'unsupported')
  }
  const file = await RandomAccessFile.open(path)
  try {
    const head = await file.readUpTo(0, 132)
    if (isDicomPreamble(head)) return { kind: 'dicom', files: [path] }
    const tag = head.toString('latin1', 0, 4)
    if (tag === 'II*\0' || tag === 'MM\0*' || tag === 'II+\0' || tag === 'MM\0+') return await sniffTiffVendor(file)
    const other = OTHER_EXTENSIONS[extname(path).toLowerCase()]
    if (other) return { kind: 'openslide-other', vendor: other }
    // describe, never quote: the first bytes of an arbitrary file are its content (a key, an environment…)
    throw new SlideError(path, `unrecognised file format (no TIFF, DICOM, MIRAX or VMS signature in its first bytes)`, 'unsupported')
  } finally {
    await file.close()
  }
}

function needsOpenSlide(path: string, vendor: string, reason: string): SlideError {
  return new SlideError(
    path,
    `${vendor} slides are read through OpenSlide, which is not available (${reason}): install OpenSlide (Debian/Ubuntu: apt-get install libopenslide0; or set OPENSLIDE_LIB to the library path)`,
    'needs_openslide'
  )
}

/** Open a DICOM WSI series given as a list of instance files (one per level, plus label/overview). */
export async function openDicomFiles(files: string[]): Promise<SlideSource> {
  if (!files.length) throw new SlideError('(no files)', 'no DICOM files given', 'not_found')
  return DicomSlide.open(files, files[0]!)
}

/**
 * Open a whole-slide image (a file, or a folder holding a DICOM WSI series). Reader chosen by content:
 * TIFF family → npm TIFF reader (falls back to OpenSlide for compressions it lacks), DICOM → DICOM reader,
 * vendor formats → OpenSlide (clear 'needs_openslide' error when absent).
 */
export async function openSlide(path: string, options: OpenSlideOptions = {}): Promise<SlideSource> {
  if (options.signal?.aborted) throw new SlideError(path, 'open aborted', 'aborted')
  const fmt = await sniffSlide(path)
  const viaOpenSlide = async (vendor: string): Promise<SlideSource> => {
    const probe = await probeOpenSlide()
    if (!probe.available) throw needsOpenSlide(path, vendor, probe.reason)
    return OpenSlideSource.open(path)
  }
  switch (fmt.kind) {
    case 'tiff':
      if (options.prefer === 'openslide') return viaOpenSlide('TIFF')
      try {
        return await TiffSlide.open(path)
      } catch (e) {
        // a TIFF variant we don't decode (e.g. an exotic compression): let OpenSlide try when present
        if (!(e instanceof SlideError && e.code === 'unsupported' && (await probeOpenSlide()).available)) throw e
        try {
          return await OpenSlideSource.open(path)
        } catch (e2) {
          // keep our (more specific) reason first, then OpenSlide's
          const why = e2 instanceof Error ? e2.message.replace(`${path}: `, '') : String(e2)
          throw new SlideError(path, `${e.message.replace(`${path}: `, '')}; ${why}`, 'unsupported')
        }
      }
    case 'dicom':
      // one file given: its siblings in the folder hold the other levels of the same series
      if (fmt.files.length === 1 && fmt.files[0] === path) {
        const abs = resolve(path)
        const siblings = await sniffSlide(dirname(abs)).catch(() => null)
        const files = siblings?.kind === 'dicom' ? siblings.files : [abs]
        return DicomSlide.open(files, path, abs)
      }
      return DicomSlide.open(fmt.files, path)
    case 'openslide-tiff':
    case 'openslide-other':
      return viaOpenSlide(fmt.vendor)
  }
}
