// Patient-level, class-stratified, seeded k-fold splits with an inner validation hold-out for early stopping.
import { deriveSeed, mulberry32, shuffled } from './rng'

export interface SplitItem {
  /** stable id of the slide (slide id in the store) */
  slideId: number
  /** class index */
  label: number
  /** patients never straddle folds; slides without a patient id are their own patient */
  patientId: string
  /** fold imposed by the labels CSV (0-based), if any */
  fixedFold?: number | null
}

export interface Fold {
  fold: number
  /** slide ids, sorted ascending (fixed order = determinism) */
  train: number[]
  validation: number[]
  test: number[]
}

export interface Splits {
  k: number
  seed: number
  method: string
  folds: Fold[]
}

interface Patient {
  id: string
  label: number
  slides: number[]
  fixedFold: number | null
}

/** A patient's class: the most frequent of its slides' labels (ties: lowest class index). Shared with the patient bootstrap. */
export function majorityClass(labels: readonly number[]): number {
  const counts = new Map<number, number>()
  for (const l of labels) counts.set(l, (counts.get(l) ?? 0) + 1)
  return [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0] - b[0])[0]![0]
}

/** Group slides by patient; a patient's class is the most frequent slide label (ties: lowest class index). */
function patientsOf(items: readonly SplitItem[]): Patient[] {
  const byId = new Map<string, { slides: number[]; labels: number[]; fixed: Set<number> }>()
  for (const it of items) {
    const entry = byId.get(it.patientId) ?? { slides: [], labels: [], fixed: new Set<number>() }
    entry.slides.push(it.slideId)
    entry.labels.push(it.label)
    if (it.fixedFold !== undefined && it.fixedFold !== null) entry.fixed.add(it.fixedFold)
    byId.set(it.patientId, entry)
  }
  const out: Patient[] = []
  for (const [id, e] of [...byId.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))) {
    const label = majorityClass(e.labels)
    if (e.fixed.size > 1) throw new Error(`patient "${id}" has slides in different folds (${[...e.fixed].join(', ')}): one patient must stay in one fold`)
    out.push({ id, label, slides: e.slides.sort((a, b) => a - b), fixedFold: e.fixed.size === 1 ? [...e.fixed][0]! : null })
  }
  return out
}

/**
 * Deal patients of each class, shuffled with the seed, round-robin over `parts` bins; the dealing position carries
 * over from one class to the next so the bins stay equal in size. Returns the bin index per patient id.
 */
function stratifiedDeal(patients: readonly Patient[], parts: number, seed: number): Map<string, number> {
  const rng = mulberry32(seed)
  const classes = [...new Set(patients.map((p) => p.label))].sort((a, b) => a - b)
  const bin = new Map<string, number>()
  let position = 0
  for (const c of classes) {
    for (const p of shuffled(
      patients.filter((q) => q.label === c),
      rng
    )) {
      bin.set(p.id, position % parts)
      position++
    }
  }
  return bin
}

/** Stratified hold-out of about `fraction` of the patients (at least one per class when the class has ≥ 2 patients). */
function innerValidation(patients: readonly Patient[], fraction: number, seed: number): Set<string> {
  const rng = mulberry32(seed)
  const held = new Set<string>()
  const classes = [...new Set(patients.map((p) => p.label))].sort((a, b) => a - b)
  for (const c of classes) {
    const group = shuffled(
      patients.filter((p) => p.label === c),
      rng
    )
    if (group.length < 2) continue
    const take = Math.max(1, Math.round(group.length * fraction))
    for (const p of group.slice(0, Math.min(take, group.length - 1))) held.add(p.id)
  }
  return held
}

/**
 * Outer k-fold CV at patient level. Uses the CSV folds when every slide has one, otherwise a seeded stratified deal.
 * The same items + k + seed always give the same splits, so every model compared sees identical folds.
 */
export function makeSplits(items: readonly SplitItem[], options: { k: number; seed: number; validationFraction?: number }): Splits {
  const { k, seed } = options
  const validationFraction = options.validationFraction ?? 0.2
  if (!Number.isInteger(k) || k < 2) throw new Error(`folds must be an integer ≥ 2, got ${k}`)
  const patients = patientsOf(items)
  const allFixed = patients.length > 0 && patients.every((p) => p.fixedFold !== null)
  let foldOf: Map<string, number>
  let method: string
  let folds: number
  if (allFixed) {
    const distinct = [...new Set(patients.map((p) => p.fixedFold as number))].sort((a, b) => a - b)
    folds = distinct.length
    if (folds < 2) throw new Error('the labels CSV puts every slide in the same fold: need at least 2 folds')
    foldOf = new Map(patients.map((p) => [p.id, distinct.indexOf(p.fixedFold as number)]))
    method = 'folds from the labels CSV'
  } else {
    if (patients.length < k) throw new Error(`${k}-fold cross-validation needs at least ${k} patients, the cohort has ${patients.length}`)
    folds = k
    foldOf = stratifiedDeal(patients, k, deriveSeed(seed, 'outer'))
    method = 'patient-level stratified k-fold (seeded)'
  }
  const out: Fold[] = []
  for (let f = 0; f < folds; f++) {
    const testPatients = patients.filter((p) => foldOf.get(p.id) === f)
    const rest = patients.filter((p) => foldOf.get(p.id) !== f)
    const held = innerValidation(rest, validationFraction, deriveSeed(seed, 'inner', f))
    const ids = (ps: Patient[]): number[] => ps.flatMap((p) => p.slides).sort((a, b) => a - b)
    out.push({
      fold: f,
      train: ids(rest.filter((p) => !held.has(p.id))),
      validation: ids(rest.filter((p) => held.has(p.id))),
      test: ids(testPatients)
    })
  }
  return { k: folds, seed, method, folds: out }
}
