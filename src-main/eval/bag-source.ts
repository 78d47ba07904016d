// Where an evaluation gets each model's patch features: the project's feature cache (encoder key prefix = model
// name) or a folder of per-slide HDF5 files (TRIDENT/CLAM layout: `features` N×D, `coords` N×2 level-0 px).
// HDF5 reads happen inside the eval job's child process, so a malformed file cannot take the app down.
import { existsSync, statSync } from 'node:fs'
import { join } from 'node:path'
import h5wasm from 'h5wasm/node'
import type { Db } from '../store/database'
import { FeatureCache } from '../store/feature-cache'
import { gridKeyMatches, gridNameOfSet } from '../tissue/grid-name'
import { inputSizeOfEncoderKey } from './input-sizes'
import type { LabelledSlideRecord } from './slide-labels'

/** One slide's features for one model (label is the class index). */
export interface LoadedBag {
  slideId: number
  slideName: string
  patientId: string
  coords: Int32Array
  features: Float32Array
  dim: number
  patchSizeLevel0: number
}

export interface BagSet {
  model: string
  /** human description of the source (cache key or folder) */
  source: string
  bags: LoadedBag[]
  /** model input edge in px the features were extracted at (null: unknown, e.g. a folder of HDF5 files) */
  inputSize: number | null
}

/** Caps checked before allocating: a bag beyond these is almost certainly a wrong file. */
const MAX_PATCHES = 2_000_000
const MAX_DIM = 16_384

const stem = (name: string): string => name.replace(/\.[^.]+$/, '')

/** Grid step from the coords (smallest positive x or y gap): the footprint when patches do not overlap. */
export function inferPatchSize(coords: Int32Array): number {
  let best = Infinity
  const xs = new Set<number>()
  const ys = new Set<number>()
  for (let i = 0; i < coords.length; i += 2) {
    xs.add(coords[i] as number)
    ys.add(coords[i + 1] as number)
  }
  for (const set of [xs, ys]) {
    const sorted = [...set].sort((a, b) => a - b)
    for (let i = 1; i < sorted.length; i++) best = Math.min(best, (sorted[i] as number) - (sorted[i - 1] as number))
  }
  return Number.isFinite(best) ? best : 0
}

/** Read one feature HDF5 (TRIDENT or CLAM layout). Throws naming the file and the problem. */
export async function readFeatureH5(file: string): Promise<{ features: Float32Array; coords: Int32Array; dim: number; patchSizeLevel0: number | null }> {
  await h5wasm.ready
  const f = new h5wasm.File(file, 'r')
  try {
    const feats = f.get('features')
    const coords = f.get('coords')
    if (!(feats instanceof h5wasm.Dataset)) throw new Error(`${file}: no "features" dataset (expected TRIDENT/CLAM layout)`)
    if (!(coords instanceof h5wasm.Dataset)) throw new Error(`${file}: no "coords" dataset (expected TRIDENT/CLAM layout)`)
    const fs = feats.shape ?? []
    const cs = coords.shape ?? []
    // CLAM .h5 sometimes stores features as 1×N×D
    const shape = fs.length === 3 && fs[0] === 1 ? [fs[1] as number, fs[2] as number] : fs
    if (shape.length !== 2) throw new Error(`${file}: features has shape [${fs.join(', ')}], expected N×D`)
    const [n, dim] = shape as [number, number]
    if (n <= 0 || n > MAX_PATCHES || dim <= 0 || dim > MAX_DIM) throw new Error(`${file}: features ${n}×${dim} is outside 1…${MAX_PATCHES} × 1…${MAX_DIM}`)
    if (cs.length !== 2 || cs[0] !== n || cs[1] !== 2) throw new Error(`${file}: coords has shape [${cs.join(', ')}], expected ${n}×2`)
    const raw = feats.value
    if (!(raw instanceof Float32Array || raw instanceof Float64Array || raw instanceof Uint16Array)) throw new Error(`${file}: features must be float32/float64`)
    if (raw instanceof Uint16Array) throw new Error(`${file}: float16 features are not supported by this reader yet; export float32`)
    const cv = coords.value as ArrayLike<number | bigint>
    const c = new Int32Array(n * 2)
    for (let i = 0; i < n * 2; i++) c[i] = Number(cv[i])
    const attr = coords.attrs['patch_size_level0']?.value
    return { features: raw instanceof Float32Array ? raw : Float32Array.from(raw), coords: c, dim, patchSizeLevel0: typeof attr === 'number' || typeof attr === 'bigint' ? Number(attr) : null }
  } finally {
    f.close()
  }
}

/** Features of every labelled slide from `<dir>/<model>/<slide name without extension>.h5`. Missing files are an error listing them. */
export async function bagsFromFolder(dir: string, model: string, slides: readonly LabelledSlideRecord[]): Promise<BagSet> {
  const folder = join(dir, model)
  if (!existsSync(folder) || !statSync(folder).isDirectory()) throw new Error(`features folder ${folder} does not exist (expected <features dir>/<model>/<slide>.h5)`)
  const missing: string[] = []
  const bags: LoadedBag[] = []
  for (const s of slides) {
    const file = [join(folder, `${stem(s.name)}.h5`), join(folder, `${s.name}.h5`)].find((p) => existsSync(p))
    if (!file) {
      missing.push(`${stem(s.name)}.h5`)
      continue
    }
    const r = await readFeatureH5(file)
    bags.push({ slideId: s.slideId, slideName: s.name, patientId: s.patientId, coords: r.coords, features: r.features, dim: r.dim, patchSizeLevel0: r.patchSizeLevel0 ?? inferPatchSize(r.coords) })
  }
  if (missing.length > 0) throw new Error(`${folder}: no features for ${missing.length} labelled slide(s): ${missing.slice(0, 10).join(', ')}${missing.length > 10 ? ', …' : ''}`)
  return { model, source: folder, bags, inputSize: null }
}

/**
 * Features of every labelled slide from the feature cache. `model` is the registered model name that produced the
 * set (producedBy.model, as `features extract` records it) or an exact encoder key. Encoder keys start with the
 * architecture, not the model name, so a baseline and its fine-tuned copy share a prefix: the prefix is never used.
 * A slide with several complete sets for the model (other grids or precisions) is ambiguous unless `gridKey` picks one:
 * a project-wide grid name (features list) or a per-slide grid key.
 */
export function bagsFromCache(db: Db, model: string, slides: readonly LabelledSlideRecord[], gridKey?: string): BagSet {
  const cache = new FeatureCache(db)
  const matches = cache
    .list({ completeOnly: true })
    .filter((s) => (s.encoderKey === model || s.producedBy['model'] === model) && (gridKey === undefined || gridKeyMatches(s, gridKey)))
  const problems: string[] = []
  const bags: LoadedBag[] = []
  const keys = new Set<string>()
  const inputSizes = new Set<number | null>()
  for (const s of slides) {
    if (!s.checksum) {
      problems.push(`${s.name}: no checksum (slide not scanned yet)`)
      continue
    }
    const sets = matches.filter((m) => m.slideChecksum === s.checksum)
    if (sets.length === 0) {
      problems.push(`${s.name}: no cached features for "${model}"`)
      continue
    }
    if (sets.length > 1) {
      const names = [...new Set(sets.map((x) => `${gridNameOfSet(x)}${x.dtype === 'float16' ? '' : ' (' + x.dtype + ')'}`))]
      problems.push(`${s.name}: ${sets.length} cached feature sets for "${model}" (grids ${names.join(' | ')}): pass a grid key (--grid-key <grid name>)`)
      continue
    }
    const data = cache.readById((sets[0] as { id: number }).id)
    if (!data) {
      problems.push(`${s.name}: cached feature set vanished while reading`)
      continue
    }
    keys.add(`${data.info.encoderKey} · ${gridNameOfSet(data.info)}`)
    inputSizes.add(inputSizeOfEncoderKey(data.info.encoderKey))
    const grid = data.info.producedBy['grid'] as { patchSizeLevel0?: unknown } | undefined
    const produced = grid?.patchSizeLevel0 ?? data.info.producedBy['patchSizeLevel0']
    bags.push({
      slideId: s.slideId,
      slideName: s.name,
      patientId: s.patientId,
      coords: data.coords,
      features: data.vectors,
      dim: data.info.dim,
      patchSizeLevel0: typeof produced === 'number' ? produced : inferPatchSize(data.coords)
    })
  }
  if (problems.length > 0) throw new Error(`feature cache, model "${model}": ${problems.length} slide(s) unusable:\n${problems.slice(0, 20).join('\n')}`)
  if (inputSizes.size > 1) throw new Error(`feature cache, model "${model}": slides were extracted at different input sizes (${[...inputSizes].join(', ')} px)`)
  return { model, source: `feature cache: ${[...keys].join('; ')}`, bags, inputSize: [...inputSizes][0] ?? null }
}
