// Import per-slide feature files computed elsewhere (TRIDENT/CLAM/STAMP HDF5) into the feature cache: each file is
// read in an isolated process, paired with a project slide by name, and its rows matched to our grid by coordinates.
import { basename, extname, resolve } from 'node:path'
import type { Db } from '../store/database'
import type { GridParams } from '../../src-shared/domain/grid'
import type { Slide } from '../../src-shared/domain/types'
import type { FeatureImportFileReport } from '../../src-shared/contracts/features'
import { FeatureCache, type FeatureDtype } from '../store/feature-cache'
import { SlidesRepo } from '../store/slides-repo'
import { getOrComputeGrid } from '../tissue/grid-store'
import type { SlideOpener } from '../slides/service/handles'
import { readFeatureFile } from './hdf5-isolated'
import type { AttrValue, FeatureFileData } from './hdf5'
import { matchToGrid } from './grid-match'

export interface FeatureImportOptions {
  projectId: number
  files: string[]
  /** label of the encoder; default: the file's `encoder` attribute */
  encoder?: string
  grid?: Partial<GridParams>
  dtype?: FeatureDtype
}

const stem = (s: string): string => basename(s, extname(s))
const num = (v: AttrValue | undefined): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null)

/** The grid the file was most likely cut on: explicit options win, then the file's attributes, then TRIDENT defaults. */
export function gridFromAttrs(data: Pick<FeatureFileData, 'attrs' | 'layout'>, given: Partial<GridParams> = {}): GridParams {
  const a = data.attrs
  const mag = num(a['target_magnification'])
  const stampMpp = num(a['tile_size_um']) && num(a['tile_size_px']) ? (num(a['tile_size_um']) as number) / (num(a['tile_size_px']) as number) : null
  return {
    targetMpp: given.targetMpp ?? num(a['mpp']) ?? stampMpp ?? (mag ? 10 / mag : 0.5),
    patchSize: given.patchSize ?? num(a['patch_size']) ?? num(a['tile_size_px']) ?? 224,
    overlap: given.overlap ?? num(a['overlap']) ?? 0,
    minTissue: given.minTissue ?? num(a['min_tissue']) ?? 0.25
  }
}

export async function importFeatureFiles(db: Db, open: SlideOpener, o: FeatureImportOptions): Promise<FeatureImportFileReport[]> {
  const slides = new SlidesRepo(db).list(o.projectId)
  const cache = new FeatureCache(db)
  const reports: FeatureImportFileReport[] = []
  for (const raw of o.files) {
    const file = resolve(raw)
    try {
      reports.push(await importOne(db, open, cache, slides, file, o))
    } catch (e) {
      reports.push({ file, ok: false, error: (e as Error).message })
    }
  }
  return reports
}

async function importOne(db: Db, open: SlideOpener, cache: FeatureCache, slides: Slide[], file: string, o: FeatureImportOptions): Promise<FeatureImportFileReport> {
  const data = await readFeatureFile(file)
  const attrName = typeof data.attrs['name'] === 'string' ? stem(data.attrs['name']) : null
  const slide = slides.find((s) => s.name === stem(file)) ?? (attrName ? slides.find((s) => s.name === attrName) : undefined)
  if (!slide) {
    throw new Error(`${file}: no slide named "${stem(file)}"${attrName ? ` or "${attrName}"` : ''} in project ${o.projectId} (add the slide first)`)
  }
  if (slide.status !== 'ok' || !slide.checksum) throw new Error(`${file}: slide "${slide.name}" is not readable (${slide.error ?? slide.status})`)
  const params = gridFromAttrs(data, o.grid)
  const grid = await getOrComputeGrid(db, slide, params, { open })
  const warnings: string[] = []
  const ps0 = num(data.attrs['patch_size_level0'])
  if (ps0 !== null && Math.abs(ps0 - grid.info.patchSizeLevel0) > 1) {
    warnings.push(`file patch_size_level0 ${ps0} differs from our grid's ${grid.info.patchSizeLevel0} (level-0 mpp ${grid.info.level0Mpp})`)
  }
  const coordsL0 = data.coordsUnit === 'um' ? data.coords.map((v) => v / grid.info.level0Mpp) : data.coords
  const m = matchToGrid(coordsL0, grid.patches)
  if (m.matched === 0) {
    throw new Error(
      `${file}: none of its ${data.count} coordinates (${data.coordsUnit}) fall on our grid of "${slide.name}" ` +
        `(${grid.patches.length} patches, step ${grid.info.stepLevel0} px); e.g. ${m.examples.map(([x, y]) => `(${x},${y})`).join(' ')}`
    )
  }
  const d = data.dim
  const vectors = new Float32Array(m.matched * d)
  const coords = new Int32Array(m.matched * 2)
  let k = 0
  grid.patches.forEach((p, i) => {
    const row = m.fileRowForPatch[i] as number
    if (row < 0) return
    vectors.set(data.features.subarray(row * d, (row + 1) * d), k * d)
    coords[2 * k] = p.x
    coords[2 * k + 1] = p.y
    k++
  })
  const label = o.encoder ?? (typeof data.attrs['encoder'] === 'string' ? data.attrs['encoder'] : 'unknown')
  const hash = typeof data.attrs['weight_hash'] === 'string' ? `@${data.attrs['weight_hash'].slice(0, 16)}` : ''
  const encoderKey = `imported:${label}${hash}`
  cache.writeSlide(
    { slideChecksum: slide.checksum, gridKey: grid.info.key, encoderKey, dtype: o.dtype ?? 'float32' },
    {
      dim: d,
      vectors,
      coords,
      slideName: slide.name,
      producedBy: { imported: file, layout: data.layout, encoder: label, grid: grid.info, slideWidth: slide.width, slideHeight: slide.height, attrs: data.attrs }
    }
  )
  return {
    file,
    ok: true,
    slide: slide.name,
    layout: data.layout,
    rows: data.count,
    dim: d,
    matched: m.matched,
    unmatchedFileRows: m.unmatchedFileRows,
    gridPatchesWithoutFeatures: m.gridPatchesWithoutFeatures,
    unmatchedExamples: m.examples,
    warnings,
    encoderKey
  }
}
