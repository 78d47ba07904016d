// Heatmap exports of per-patch MIL scores: GeoJSON tiles with measurements (QuPath measurement maps, level-0 px)
// and HDF5 `coords` + `scores` (CLAM's heatmap layout) via h5wasm; plus reading the HDF5 back for the viewer.
import h5wasm from 'h5wasm/node'

export interface SlideHeatmap {
  slideId: number
  slideName: string
  model: string
  aggregator: string
  /** N×2 level-0 px, top-left corners */
  coords: Int32Array
  /** N per-patch scores (ABMIL: attention weight, sums to 1 over the slide) */
  scores: Float32Array
  patchSizeLevel0: number
  /** out-of-fold class probabilities of the slide, and the class names */
  probabilities: number[]
  classes: string[]
  label: string
  fold: number
}

interface GeoFeature {
  type: 'Feature'
  geometry: { type: 'Polygon'; coordinates: number[][][] }
  properties: Record<string, unknown>
}

/**
 * One square polygon per patch in level-0 px. Rings are [x,y] → [x+s,y] → [x+s,y+s] → [x,y+s] → [x,y]: positive
 * shoelace area, i.e. counter-clockwise in the numbers as RFC 7946 §3.1.6 asks (QuPath accepts either winding).
 * Measurements: "attention" (raw), "attention x N" (1 = uniform) and the slide's predicted probability of each class.
 */
export function heatmapToGeoJSON(h: SlideHeatmap): { type: 'FeatureCollection'; features: GeoFeature[]; properties: Record<string, unknown> } {
  const n = h.scores.length
  if (h.coords.length !== n * 2) throw new Error(`heatmap of "${h.slideName}": ${h.coords.length / 2} coords for ${n} scores`)
  const s = h.patchSizeLevel0
  const slideProbs: Record<string, number> = {}
  h.classes.forEach((c, i) => (slideProbs[`P(${c})`] = h.probabilities[i] as number))
  const features: GeoFeature[] = []
  for (let i = 0; i < n; i++) {
    const x = h.coords[i * 2] as number
    const y = h.coords[i * 2 + 1] as number
    const score = h.scores[i] as number
    features.push({
      type: 'Feature',
      geometry: { type: 'Polygon', coordinates: [[[x, y], [x + s, y], [x + s, y + s], [x, y + s], [x, y]]] },
      properties: {
        objectType: 'tile',
        index: i,
        measurements: { [`${h.aggregator} score`]: score, [`${h.aggregator} score x N`]: score * n, ...slideProbs }
      }
    })
  }
  return {
    type: 'FeatureCollection',
    features,
    properties: { slide: h.slideName, model: h.model, aggregator: h.aggregator, label: h.label, fold: h.fold, units: 'level-0 px, top-left origin' }
  }
}

let ready: Promise<unknown> | null = null
async function h5(): Promise<typeof h5wasm> {
  ready ??= h5wasm.ready
  await ready
  return h5wasm
}

/** Write `coords` (N×2 int64, level-0 px) and `scores` (N float32) with the slide's prediction as attributes. */
export async function writeHeatmapH5(file: string, h: SlideHeatmap): Promise<void> {
  const lib = await h5()
  const f = new lib.File(file, 'w')
  try {
    const coords = f.create_dataset({ name: 'coords', data: BigInt64Array.from(h.coords, (v) => BigInt(v)), shape: [h.scores.length, 2] })
    coords.create_attribute('patch_size_level0', h.patchSizeLevel0)
    coords.create_attribute('name', h.slideName)
    const scores = f.create_dataset({ name: 'scores', data: Float32Array.from(h.scores), shape: [h.scores.length] })
    scores.create_attribute('model', h.model)
    scores.create_attribute('aggregator', h.aggregator)
    f.create_attribute('slide_id', h.slideId)
    f.create_attribute('label', h.label)
    f.create_attribute('fold', h.fold)
    f.create_attribute('classes', h.classes)
    f.create_attribute('probabilities', Float64Array.from(h.probabilities))
  } finally {
    f.close()
  }
}

/** Read a heatmap HDF5 written by writeHeatmapH5 (our own files under a run folder) back as plain arrays. */
export async function readHeatmapH5(file: string): Promise<{ coords: number[]; scores: number[]; patchSizeLevel0: number; probabilities: number[] }> {
  const lib = await h5()
  const f = new lib.File(file, 'r')
  try {
    const coords = f.get('coords')
    const scores = f.get('scores')
    if (!(coords instanceof lib.Dataset) || !(scores instanceof lib.Dataset)) throw new Error(`${file}: not a heatmap file (needs datasets coords and scores)`)
    const c = coords.value as BigInt64Array
    return {
      coords: Array.from(c, (v) => Number(v)),
      scores: Array.from(scores.value as Float32Array),
      patchSizeLevel0: Number(coords.attrs['patch_size_level0']?.value ?? 0),
      probabilities: Array.from((f.attrs['probabilities']?.value ?? []) as ArrayLike<number>)
    }
  } finally {
    f.close()
  }
}
