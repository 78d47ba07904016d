// Which slides the cohort has: ids, labels (balanced), patients (some with two slides), per-slide seeds.
import { hashInts, Prng } from './prng'
import type { CohortRecipe } from './recipe'

export interface PlannedSlide {
  slideId: string
  file: string
  label: 0 | 1
  patientId: string
  /** patient index: slides of one patient share the stain style and nuclear baseline */
  patientIndex: number
  seed: number
}

/**
 * Labels are assigned per patient so both slides of a patient share the label, and exactly half the slides (rounded
 * down for label 1) are label 1. Order is shuffled with the recipe seed.
 */
export function planCohort(recipe: CohortRecipe): PlannedSlide[] {
  const { slides, patientsWithTwoSlides } = recipe.params
  if (!Number.isInteger(slides) || slides < 4) throw new Error(`cohort recipe: slides must be an integer ≥ 4, got ${slides}`)
  if (patientsWithTwoSlides < 0 || 2 * patientsWithTwoSlides > slides) {
    throw new Error(`cohort recipe: patientsWithTwoSlides (${patientsWithTwoSlides}) needs ≤ slides/2 (${slides / 2})`)
  }
  const rng = new Prng(hashInts(recipe.seed, 0x504c414e))
  const positives = Math.floor(slides / 2)
  const pairs = patientsWithTwoSlides
  const singles = slides - 2 * pairs
  // pairs split as evenly as possible, singles fill the rest of each class
  const positivePairs = Math.min(Math.floor(pairs / 2), Math.floor(positives / 2))
  const patientLabels: { size: 1 | 2; label: 0 | 1 }[] = []
  for (let i = 0; i < pairs; i++) patientLabels.push({ size: 2, label: i < positivePairs ? 1 : 0 })
  const positiveSingles = positives - 2 * positivePairs
  if (positiveSingles < 0 || positiveSingles > singles) throw new Error('cohort recipe: cannot balance labels with this patient layout')
  for (let i = 0; i < singles; i++) patientLabels.push({ size: 1, label: i < positiveSingles ? 1 : 0 })
  rng.shuffle(patientLabels)
  const planned: Omit<PlannedSlide, 'slideId' | 'file'>[] = []
  patientLabels.forEach((pt, patientIndex) => {
    for (let k = 0; k < pt.size; k++) {
      planned.push({ label: pt.label, patientId: `P${String(patientIndex + 1).padStart(3, '0')}`, patientIndex, seed: 0 })
    }
  })
  rng.shuffle(planned)
  return planned.map((s, i) => {
    const slideId = `demo-${String(i + 1).padStart(3, '0')}`
    return { ...s, slideId, file: `slides/${slideId}.svs`, seed: hashInts(recipe.seed, 0x51de0000 + i) }
  })
}

/** Seed of a patient's stain style. */
export function patientSeed(recipeSeed: number, patientIndex: number): number {
  return hashInts(recipeSeed, 0x7a700000 + patientIndex)
}
