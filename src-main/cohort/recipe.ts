// The demo cohort's recipe: every generator parameter with the reason it has that value, and its stable hash.
import { createHash } from 'node:crypto'

/** Parameters that decide the pixels (changing any of them changes the recipe hash and regenerates the cohort). */
export interface CohortParams {
  /** number of slides; half get label 1 */
  slides: number
  /** how many patients have two slides (the rest have one) */
  patientsWithTwoSlides: number
  /** µm per level-0 pixel written into the file (Aperio MPP and TIFF resolution tags) */
  mpp: number
  /** objective power written as AppMag (10× ≈ 1 µm/px) */
  appMag: number
  /** the demo's patch edge in level-0 pixels; sizes below are in patches so the structure scales with it */
  patchSize: number
  /** slide canvas in level-0 pixels (multiples of the 256-px tile) */
  width: number
  height: number
  /** JPEG quality of the stored tiles */
  jpegQuality: number
  /** fraction of the canvas the tissue blob covers (approx.) */
  tissueFraction: number
  /** nuclei per tissue patch (baseline, before crowding) */
  nucleiPerPatch: number
  /** per-slide baseline nuclear radius range in px (varies per slide, so absolute size is not a label) */
  nucleusRadius: [number, number]
  /** class 1: extended lesions per slide and their radius in patches */
  lesionsPerSlide: [number, number]
  lesionRadiusPatches: number
  /** class 0: focal clusters, radius range in patches; their count makes the atypical area equal to class 1's on average */
  focusRadiusPatches: [number, number]
  /** per-slide peak atypia (0..1), drawn uniformly; the same range for both classes */
  atypiaPeak: [number, number]
  /** how atypia changes a nucleus: radius gain, darkness gain, crowding gain, shape irregularity */
  atypiaRadiusGain: number
  atypiaDarknessGain: number
  atypiaCrowdingGain: number
  atypiaIrregularity: number
  /** lymphocyte clusters per slide (both classes): small dark round nuclei, a colour-statistics distractor */
  lymphClusters: [number, number]
  /** lymphocyte cluster radius range in level-0 px */
  lymphClusterRadius: [number, number]
  /** per-slide stain variation: hue rotation of the H and E vectors (radians) and intensity scale range */
  stainHueJitter: number
  stainScale: [number, number]
  /** additive pixel noise (sd, 8-bit units) */
  pixelNoise: number
}

export interface CohortRecipe {
  name: string
  seed: number
  params: CohortParams
  /** one sentence per parameter: why it has this value */
  reasons: Record<keyof CohortParams, string>
  /** label meanings */
  classes: Record<string, string>
}

export const DEFAULT_PARAMS: CohortParams = {
  slides: 40,
  patientsWithTwoSlides: 8,
  mpp: 1.0,
  appMag: 10,
  patchSize: 64,
  width: 1536,
  height: 1536,
  jpegQuality: 85,
  tissueFraction: 0.62,
  nucleiPerPatch: 16,
  nucleusRadius: [2.3, 3.0],
  lesionsPerSlide: [2, 3],
  lesionRadiusPatches: 2.0,
  focusRadiusPatches: [0.25, 0.5],
  atypiaPeak: [0.55, 1.0],
  atypiaRadiusGain: 0.7,
  atypiaDarknessGain: 0.5,
  atypiaCrowdingGain: 0.8,
  atypiaIrregularity: 0.5,
  lymphClusters: [3, 8],
  lymphClusterRadius: [30, 90],
  stainHueJitter: 0.12,
  stainScale: [0.8, 1.2],
  pixelNoise: 3
}

export const PARAM_REASONS: Record<keyof CohortParams, string> = {
  slides: '40 slides (the top of the 20–40 range): 5-fold patient-level CV leaves ~32 training bags per fold; with 30 the ABMIL folds were too noisy to rank extractors (calibration v1).',
  patientsWithTwoSlides: 'Some patients contribute two slides (same label, same stain batch) so folds must split by patient, not by slide.',
  mpp: '1.0 µm/px (10×) instead of 0.5: 4× fewer pixels to generate, store and read, while nuclei (5–9 µm) still span 5–9 px.',
  appMag: 'Consistent with 1.0 µm/px (20× ≈ 0.5 µm/px).',
  patchSize: '64-px patches at 1 µm/px: small CNNs on CPU/wasm reach hundreds of patches/s; ~350 tissue patches per slide.',
  width: '1536 px = 6 tiles of 256: a 24×24 patch canvas with glass around the tissue.',
  height: 'Square canvas, as width.',
  jpegQuality: 'Typical scanner JPEG quality (Aperio Q=70–90).',
  tissueFraction: 'About 60 % tissue leaves glass for the tissue detector to reject and gives ~350 tissue patches per slide.',
  nucleiPerPatch: '~16 nuclei per 64 µm patch (~4000/mm²), in the range of cellular tissue.',
  nucleusRadius: 'Baseline nuclear radius varies per slide (2.3–3.0 px), so nuclear size alone is not a slide-level label.',
  lesionsPerSlide: 'Label 1 slides carry 2–3 extended lesions: the label is carried by a few regions, a MIL setting.',
  lesionRadiusPatches: 'Lesions span about 4 patches across (radius 2): only the arrangement over neighbouring patches shows they are extended.',
  focusRadiusPatches: 'Label 0 foci have radius 0.25–0.5 patch (at most one patch across), are as atypical at their peak, and are numerous enough that the total atypical area matches label 1: counting atypical nuclei does not separate the classes. A focus never fills a patch, so a patch fully covered by atypical nuclei occurs only inside an extended lesion: that is the per-patch trace of the arrangement, and only a model that knows atypia sees it (calibration v4; v3 had 0.4–0.75, where the largest foci filled a patch and no per-patch model separated the classes).',
  atypiaPeak: 'Peak atypia varies per slide over the same range (0.55–1.0) in both classes, so "how atypical is the worst patch" is ambiguous.',
  atypiaRadiusGain: 'Atypical nuclei are up to 70 % larger (calibration v1 with 45 % gave chance-level AUC for both models: the atypia drowned in the per-slide baseline variation).',
  atypiaDarknessGain: 'Hyperchromasia: up to 50 % more haematoxylin.',
  atypiaCrowdingGain: 'Crowding: up to 80 % more nuclei in atypical areas.',
  atypiaIrregularity: 'Pleomorphism: nuclear outline modulated by up to ±50 %.',
  lymphClusters: 'Lymphocyte clusters (small, dark, round) in both classes make dark/dense patches that are not atypia: colour statistics alone are misled. 3–8 per slide (v2 had 2–6).',
  lymphClusterRadius: 'Clusters of 30–90 µm radius, up to ~3 patches across like a lesion, so "a large dark region" is not the label (v2 had 22–55 µm and the colour-statistics student ranked as well as the teacher).',
  stainHueJitter: 'Per-slide stain variation (hue of H and E), as between staining batches.',
  stainScale: 'Per-slide stain intensity ±20 %.',
  pixelNoise: 'Sensor noise so no two patches are exactly alike.'
}

export const CLASSES: Record<string, string> = {
  '0': 'focal: atypical nuclei only in many small scattered foci (at most ~1.5 patches across)',
  '1': 'extended: atypical nuclei in 2–3 contiguous lesions spanning ~4 patches across, with a gradient from core to rim'
}

/** Recipe for a seed; a slide count without a pair count keeps one patient in five with two slides. */
export function makeRecipe(seed: number, overrides: Partial<CohortParams> = {}, name = 'tessera-demo-cohort'): CohortRecipe {
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new Error(`cohort recipe: seed must be an integer in [0, 2^32), got ${seed}`)
  const params = { ...DEFAULT_PARAMS, ...overrides }
  if (overrides.slides !== undefined && overrides.patientsWithTwoSlides === undefined) params.patientsWithTwoSlides = Math.floor(params.slides / 5)
  return { name, seed, params, reasons: PARAM_REASONS, classes: CLASSES }
}

/** Hash of what decides the bytes: seed + params + generator version (reasons and names are not part of it). */
export const GENERATOR_VERSION = 3

export function recipeHash(recipe: CohortRecipe): string {
  const keys = Object.keys(recipe.params).sort() as (keyof CohortParams)[]
  const canonical = JSON.stringify({ v: GENERATOR_VERSION, seed: recipe.seed, params: keys.map((k) => [k, recipe.params[k]]) })
  return createHash('sha256').update(canonical).digest('hex')
}
