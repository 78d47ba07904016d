// Cohort difficulty check with the BASELINE student and the teacher only (never a fine-tuned model): features of every
// tissue patch → ABMIL, patient-level 5-fold CV → mean AUC per model. Used once to fix the cohort's parameters.
import { join } from 'node:path'
import sharp from 'sharp'
import type { CohortManifest } from '../../cohort/generate'
import { auc } from '../../eval/metrics'
import { makeSplits } from '../../eval/splits'
import { crossValidate, type FeatureBag } from '../mil/cross-validation'
import type { ZooModel } from '../models/manifest'
import { extractFeatures } from './pretrain'

export interface CohortPatches {
  slideId: string
  label: number
  patientId: string
  coords: Int32Array
  pixels: Uint8Array
  count: number
}

/**
 * Level-0 grid patches of each slide with ≥ `minTissue` non-glass pixels (mean RGB < 215). A stand-in for the
 * project's tissue detector, enough for calibration. Cost: one full level-0 decode per slide (~2.4 M px).
 */
export async function readCohortPatches(dir: string, manifest: CohortManifest, minTissue = 0.5): Promise<CohortPatches[]> {
  const ps = manifest.recipe.params.patchSize
  const out: CohortPatches[] = []
  for (const s of manifest.slides) {
    const { data, info } = await sharp(join(dir, s.file), { page: 0 }).raw().toBuffer({ resolveWithObject: true })
    const cols = Math.floor(info.width / ps)
    const rows = Math.floor(info.height / ps)
    const keep: [number, number][] = []
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) {
        let tissue = 0
        for (let y = r * ps; y < (r + 1) * ps; y++) {
          for (let x = c * ps; x < (c + 1) * ps; x++) {
            const k = (y * info.width + x) * info.channels
            if ((data[k]! + data[k + 1]! + data[k + 2]!) / 3 < 215) tissue++
          }
        }
        if (tissue / (ps * ps) >= minTissue) keep.push([c, r])
      }
    }
    const pixels = new Uint8Array(keep.length * ps * ps * 3)
    const coords = new Int32Array(keep.length * 2)
    keep.forEach(([c, r], i) => {
      coords[i * 2] = c * ps
      coords[i * 2 + 1] = r * ps
      for (let y = 0; y < ps; y++) {
        for (let x = 0; x < ps; x++) {
          const src = ((r * ps + y) * info.width + c * ps + x) * info.channels
          const dst = ((i * ps + y) * ps + x) * 3
          pixels[dst] = data[src]!
          pixels[dst + 1] = data[src + 1]!
          pixels[dst + 2] = data[src + 2]!
        }
      }
    })
    out.push({ slideId: s.slideId, label: s.label, patientId: s.patientId, coords, pixels, count: keep.length })
  }
  return out
}

export interface CalibrationResult {
  model: string
  aucMean: number
  aucFolds: number[]
  aucPooled: number
  seconds: number
}

/** Feature bags of every cohort slide for one model (run on the fast backend, e.g. wasm). */
export async function cohortFeatureBags(model: ZooModel, slides: CohortPatches[]): Promise<FeatureBag[]> {
  const bags: FeatureBag[] = []
  for (const [i, s] of slides.entries()) {
    const ps = Math.round(Math.sqrt(s.pixels.length / s.count / 3))
    const features = await extractFeatures(model, s.pixels, ps, s.count)
    bags.push({ slideId: i + 1, slideName: s.slideId, label: s.label, patientId: s.patientId, coords: s.coords, features, dim: model.manifest.outputDim })
  }
  return bags
}

/**
 * 5-fold patient-level CV of one aggregator on one feature set (splits depend only on the cohort and the seed).
 * Runs on the current backend (wasm, as the demo's evaluation; the cpu backend is ~20× slower on 512-d features).
 */
export async function crossValidateBags(name: string, bags: FeatureBag[], seed = 7, aggregator: 'abmil' | 'mean' = 'abmil'): Promise<CalibrationResult> {
  const started = Date.now()
  const splits = makeSplits(bags.map((b) => ({ slideId: b.slideId, label: b.label, patientId: b.patientId })), { k: 5, seed })
  const cv = await crossValidate(bags, splits, { aggregator, classes: 2, seed, learningRate: 5e-4, maxEpochs: 40, patience: 8 })
  const folds = cv.folds.map((f) => f.auc)
  return { model: name, aucMean: folds.reduce((a, b) => a + b, 0) / folds.length, aucFolds: folds, aucPooled: auc(cv.oof), seconds: (Date.now() - started) / 1000 }
}
