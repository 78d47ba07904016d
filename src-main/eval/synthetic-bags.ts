// Synthetic MIL cohorts for tests and benchmarks: positive slides hide a small cluster of "lesion" patches whose
// features are shifted along a fixed direction, so the label depends on a few patches (what ABMIL must find).
import { deriveSeed, mulberry32, randNormal } from './rng'

export interface SyntheticBag {
  slideId: number
  slideName: string
  label: number
  patientId: string
  coords: Int32Array
  features: Float32Array
  dim: number
  /** which patches carry the signal (1) — ground truth for attention checks */
  lesion: Uint8Array
}

export interface SyntheticCohortOptions {
  slides: number
  patches: number
  dim: number
  seed: number
  /** fraction of patches shifted in positive slides */
  lesionFraction?: number
  /** shift size in units of the feature noise sd */
  signal?: number
  /** slides per patient (the first slides of the cohort share patients) */
  slidesPerPatient?: number
  patchSizeLevel0?: number
}

/** Every other slide is positive (label 1); lesions form a contiguous run of grid cells. */
export function syntheticCohort(o: SyntheticCohortOptions): SyntheticBag[] {
  const rng = mulberry32(deriveSeed(o.seed, 'cohort'))
  const direction = new Float32Array(o.dim)
  let norm = 0
  for (let j = 0; j < o.dim; j++) {
    direction[j] = randNormal(rng)
    norm += (direction[j] as number) ** 2
  }
  for (let j = 0; j < o.dim; j++) direction[j] = (direction[j] as number) / Math.sqrt(norm) // unit vector: shift size = signal · sd
  const signal = o.signal ?? 3
  const lesionCount = Math.max(1, Math.round(o.patches * (o.lesionFraction ?? 0.1)))
  const patchSize = o.patchSizeLevel0 ?? 448
  const cols = Math.ceil(Math.sqrt(o.patches))
  const perPatient = o.slidesPerPatient ?? 1
  const bags: SyntheticBag[] = []
  for (let s = 0; s < o.slides; s++) {
    const label = s % 2
    const features = new Float32Array(o.patches * o.dim)
    const coords = new Int32Array(o.patches * 2)
    const lesion = new Uint8Array(o.patches)
    const start = Math.floor(rng() * (o.patches - lesionCount + 1))
    for (let i = 0; i < o.patches; i++) {
      coords[i * 2] = (i % cols) * patchSize
      coords[i * 2 + 1] = Math.floor(i / cols) * patchSize
      const isLesion = label === 1 && i >= start && i < start + lesionCount
      lesion[i] = isLesion ? 1 : 0
      for (let j = 0; j < o.dim; j++) features[i * o.dim + j] = randNormal(rng) + (isLesion ? signal * (direction[j] as number) : 0)
    }
    bags.push({ slideId: s + 1, slideName: `slide-${String(s + 1).padStart(3, '0')}`, label, patientId: `patient-${Math.floor(s / perPatient)}`, coords, features, dim: o.dim, lesion })
  }
  return bags
}
