// Vendor classification of a parsed TIFF (Aperio SVS, Philips TIFF, OME-TIFF, generic pyramidal TIFF) and their
// metadata: levels, mpp, objective power, OpenSlide-style property names, associated images.
import { SlideError } from '../slide-source'
import type { TiffImage } from './tiff-image'

export type AssociatedSource = { kind: 'tiff'; image: TiffImage } | { kind: 'jpeg'; bytes: Buffer }

export interface TiffLayout {
  vendor: 'aperio' | 'philips' | 'ome-tiff' | 'generic-tiff'
  levels: TiffImage[]
  associated: Map<string, AssociatedSource>
  properties: Record<string, string>
  mppX: number | null
  mppY: number | null
  objectivePower: number | null
  /** per-level downsamples from vendor metadata (Philips); else computed from dimensions */
  downsamples?: number[]
}

const positive = (v: number | null | undefined): number | null => (v !== null && v !== undefined && Number.isFinite(v) && v > 0 ? v : null)

/** Aperio description: "<header lines>|Key = Value|Key = Value…". */
export function parseAperioDescription(desc: string): Record<string, string> {
  const out: Record<string, string> = {}
  const parts = desc.split('|').slice(1)
  for (const p of parts) {
    const eq = p.indexOf('=')
    if (eq < 0) continue
    const key = p.slice(0, eq).trim()
    if (key) out[`aperio.${key}`] = p.slice(eq + 1).trim()
  }
  return out
}

function sortLevels(levels: TiffImage[]): TiffImage[] {
  return [...levels].sort((a, b) => b.width - a.width)
}

function aperio(images: TiffImage[]): TiffLayout {
  const first = images[0]!
  const props = parseAperioDescription(first.description ?? '')
  const levels = sortLevels(images.filter((i) => i.tiled))
  const associated = new Map<string, AssociatedSource>()
  images.forEach((img, i) => {
    if (img.tiled) return
    const name = (img.description ?? '').split('\n')[1]?.trim().split(/\s+/)[0]
    if (name === 'label' || name === 'macro') associated.set(name, { kind: 'tiff', image: img })
    else if (i === 1) associated.set('thumbnail', { kind: 'tiff', image: img })
  })
  const mpp = positive(Number(props['aperio.MPP']))
  return {
    vendor: 'aperio',
    levels,
    associated,
    properties: props,
    mppX: mpp,
    mppY: mpp,
    objectivePower: positive(Number(props['aperio.AppMag']))
  }
}

/** Attribute values of a Philips DPUfsImport XML by attribute Name (regex scan; no entity expansion). */
function philipsAttributes(xml: string, name: string): string[] {
  const re = new RegExp(`<Attribute[^>]*Name="${name}"[^>]*>([^<]*)</Attribute>`, 'g')
  return [...xml.matchAll(re)].map((m) => m[1]!.trim())
}

/** "row col" spacing string (quoted numbers, mm) → [row, col] or null. */
function parseSpacing(v: string | undefined): [number, number] | null {
  const parts = (v ?? '').replace(/"/g, ' ').trim().split(/\s+/).map(Number)
  return parts.length === 2 && parts.every((x) => Number.isFinite(x) && x > 0) ? [parts[0]!, parts[1]!] : null
}

function philips(images: TiffImage[], path: string): TiffLayout {
  const xml = images[0]!.description ?? ''
  const levels = sortLevels(images.filter((i) => i.tiled))
  if (!levels.length) throw new SlideError(path, 'Philips TIFF has no tiled level')
  const blocks = xml.split('<DataObject ObjectType="DPScannedImage">').slice(1)
  const typeOf = (b: string): string | undefined => /Name="PIM_DP_IMAGE_TYPE"[^>]*>([^<]*)</.exec(b)?.[1]?.trim()
  const wsi = blocks.filter((b) => typeOf(b) === 'WSI')
  if (wsi.length !== 1) throw new SlideError(path, `Philips XML: expected one WSI image, found ${wsi.length}`)
  const reps = [...wsi[0]!.matchAll(/<DataObject ObjectType="PixelDataRepresentation">([\s\S]*?)<\/DataObject>/g)].map((m) => m[1]!)
  const main = wsi[0]!.replace(/<DataObject ObjectType="PixelDataRepresentation">[\s\S]*?<\/DataObject>/g, '')
  const spacing = parseSpacing(philipsAttributes(main, 'DICOM_PIXEL_SPACING')[0])
  // DICOM pixel spacing is (row spacing, column spacing) in mm
  const mppY = positive(spacing ? spacing[0] * 1000 : null)
  const mppX = positive(spacing ? spacing[1] * 1000 : null)
  // per-level spacing gives the true downsample: Philips levels are padded to whole tiles (as OpenSlide does)
  const levelSpacing = reps.map((r) => parseSpacing(philipsAttributes(r, 'DICOM_PIXEL_SPACING')[0]))
  let downsamples: number[] | undefined
  if (levelSpacing.length === levels.length && levelSpacing.every((x) => x !== null)) {
    const [r0, c0] = levelSpacing[0]!
    downsamples = levelSpacing.map((x) => Math.round((x![1] / c0 + x![0] / r0) / 2))
  }
  const props: Record<string, string> = {}
  for (const m of main.matchAll(/<Attribute[^>]*Name="([A-Z0-9_]+)"[^>]*>([^<]{0,200})<\/Attribute>/g)) {
    if (m[1] !== 'PIM_DP_IMAGE_DATA') props[`philips.${m[1]}`] ??= m[2]!.trim()
  }
  for (const m of xml.split('<Attribute Name="PIM_DP_SCANNED_IMAGES"')[0]!.matchAll(/<Attribute[^>]*Name="([A-Z0-9_]+)"[^>]*>([^<]{0,200})<\/Attribute>/g)) {
    props[`philips.${m[1]}`] ??= m[2]!.trim()
  }
  const associated = new Map<string, AssociatedSource>()
  for (const b of blocks) {
    const type = typeOf(b)
    const data = /Name="PIM_DP_IMAGE_DATA"[^>]*>([^<]*)</.exec(b)?.[1]?.trim()
    const name = type === 'LABELIMAGE' ? 'label' : type === 'MACROIMAGE' ? 'macro' : null
    if (name && data) associated.set(name, { kind: 'jpeg', bytes: Buffer.from(data, 'base64') })
  }
  // label/macro may also be stripped TIFF directories described "Label…" / "Macro…"
  for (const img of images) {
    if (img.tiled) continue
    const d = img.description ?? ''
    if (d.startsWith('Label') && !associated.has('label')) associated.set('label', { kind: 'tiff', image: img })
    if (d.startsWith('Macro') && !associated.has('macro')) associated.set('macro', { kind: 'tiff', image: img })
  }
  return { vendor: 'philips', levels, associated, properties: props, mppX, mppY, objectivePower: null, ...(downsamples ? { downsamples } : {}) }
}

function omeMpp(xml: string, axis: 'X' | 'Y'): number | null {
  const pixels = /<(?:\w+:)?Pixels\b[^>]*>/.exec(xml)?.[0] ?? ''
  const size = Number(new RegExp(`PhysicalSize${axis}="([^"]+)"`).exec(pixels)?.[1])
  const unit = new RegExp(`PhysicalSize${axis}Unit="([^"]+)"`).exec(pixels)?.[1] ?? 'µm'
  const factor: Record<string, number> = { µm: 1, um: 1, 'μm': 1, nm: 1e-3, mm: 1e3, cm: 1e4, m: 1e6 }
  return positive(factor[unit] !== undefined ? size * factor[unit] : null)
}

function ome(images: TiffImage[], subLevels: TiffImage[]): TiffLayout {
  const first = images[0]!
  const levels = [first, ...sortLevels(subLevels.filter((s) => s.tiled))]
  const xml = first.description ?? ''
  return { vendor: 'ome-tiff', levels, associated: new Map(), properties: {}, mppX: omeMpp(xml, 'X'), mppY: omeMpp(xml, 'Y'), objectivePower: null }
}

function generic(images: TiffImage[]): TiffLayout {
  const levels = sortLevels(images.filter((i) => i.tiled))
  const l0 = levels[0]
  return { vendor: 'generic-tiff', levels, associated: new Map(), properties: {}, mppX: positive(l0?.mppX), mppY: positive(l0?.mppY), objectivePower: null }
}

/**
 * Decide the vendor from the first directory's tags. `loadSubIfds` is called for OME-TIFF only.
 * Throws SlideError('unsupported') when no tiled level exists.
 */
export async function classifyTiff(path: string, images: TiffImage[], loadSubIfds: (img: TiffImage) => Promise<TiffImage[]>): Promise<TiffLayout> {
  const first = images[0]!
  const desc = first.description ?? ''
  let layout: TiffLayout
  if (desc.startsWith('Aperio')) layout = aperio(images)
  else if ((first.software ?? '').startsWith('Philips') && desc.includes('DPUfsImport')) layout = philips(images, path)
  else if (/<OME[\s>]/.test(desc) && first.tiled) layout = ome(images, await loadSubIfds(first))
  else layout = generic(images)
  if (!layout.levels.length) throw new SlideError(path, 'TIFF has no tiled image (not a pyramidal whole-slide TIFF)', 'unsupported')
  const l0 = layout.levels[0]!
  for (const l of layout.levels) {
    if (l.width > l0.width || l.height > l0.height) throw new SlideError(path, `level ${l.width}x${l.height} is larger than level 0 ${l0.width}x${l0.height}`)
  }
  return layout
}
