// The demo's student ("the lab's existing extractor") and teacher ("a pathology foundation model"), made reproducibly:
// both are zoo smallcnns pretrained on proxy tasks over SEPARATE synthetic slides; neither sees the cohort or its labels.
import * as tf from '@tensorflow/tfjs'
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { DEFAULT_PARAMS, type CohortParams } from '../../cohort/recipe'
import type { ModelManifest, ZooModel } from '../models/manifest'
import { createModel } from '../models/zoo'
import { loadSafetensorsFile, saveSafetensorsFile } from '../weights'
import { buildProxyPatches, COLOUR_STAT_NAMES, type ProxyPatches } from './proxy-data'
import { pretrain } from './pretrain'

export type DemoRole = 'student' | 'teacher'

export interface DemoModelSpec {
  name: string
  role: DemoRole
  arch: 'smallcnn'
  width: number
  depth: number
  /** 'colour-stats': generic pixel statistics only; 'ground-truth': generator truth per patch + the colour statistics */
  proxyTask: 'colour-stats' | 'ground-truth'
  epochs: number
  batchSize: number
  learningRate: number
  /** stain augmentation during pretraining (0 = none; see pretrain.ts stainLuts) */
  stainJitter: number
  description: string
}

export interface DemoModelsRecipe {
  seed: number
  pretrainSlides: number
  /** side of the square pretraining slides in px (smaller than the cohort's: more slides, so more stain styles) */
  pretrainSlideSize: number
  /** tissue patches sampled per pretraining slide (seeded) */
  patchesPerSlide: number
  /** the painter parameters of the pretraining slides (the cohort's defaults; slides and seeds are disjoint) */
  painter: CohortParams
  student: DemoModelSpec
  teacher: DemoModelSpec
}

export const DEFAULT_MODELS_SEED = 1403

export function demoModelsRecipe(seed = DEFAULT_MODELS_SEED): DemoModelsRecipe {
  return {
    seed,
    pretrainSlides: 64,
    pretrainSlideSize: 768,
    patchesPerSlide: 96,
    painter: DEFAULT_PARAMS,
    student: {
      name: 'demo-student', role: 'student', arch: 'smallcnn', width: 16, depth: 3, proxyTask: 'colour-stats',
      epochs: 2, batchSize: 64, learningRate: 2e-3, stainJitter: 0,
      description: 'Stands for the lab\'s existing extractor: a small CNN (24k parameters, 64-d) pretrained to regress generic colour/texture statistics of patches (channel means/SDs, gradient energy, dark/pale fractions) — no pathology knowledge.'
    },
    teacher: {
      name: 'demo-teacher', role: 'teacher', arch: 'smallcnn', width: 32, depth: 4, proxyTask: 'ground-truth',
      epochs: 3, batchSize: 64, learningRate: 2e-3, stainJitter: 0.25,
      description: 'Stands for a pathology foundation model: a 16× larger CNN (390k parameters, 256-d) pretrained to regress the generator\'s per-patch ground truth (atypia of the patch and of its 3×3 and 5×5 neighbourhood, nuclear area, stain amounts, tissue fraction) plus the colour statistics, with stain augmentation (random per-channel optical-density scaling) so it learns atypia across stain batches.'
    }
  }
}

export function demoModelsHash(r: DemoModelsRecipe): string {
  return createHash('sha256').update(JSON.stringify({ v: 1, ...r, student: { ...r.student, description: '' }, teacher: { ...r.teacher, description: '' } })).digest('hex')
}

export interface DemoModelManifest extends ModelManifest {
  name: string
  role: DemoRole
  mpp: number
  patchSize: number
  weightsFile: string
  fileSha256: string
  description: string
  proxyTask: string
  trainedOn: string
  training: { epochs: number; epochLosses: number[]; seconds: number; imagesPerSecond: number; backend: string; tfjs: string; patches: number }
  recipeHash: string
  synthetic: true
}

export interface DemoModelsIndex {
  format: 'tessera-demo-models/1'
  recipeHash: string
  recipe: DemoModelsRecipe
  models: Record<DemoRole, DemoModelManifest>
}

export interface BuildDemoModelsOptions {
  outDir: string
  seed?: number
  /** a whole recipe instead of demoModelsRecipe(seed) (tests use tiny ones) */
  recipe?: DemoModelsRecipe
  force?: boolean
  signal?: AbortSignal
  onProgress?: (fraction: number, message: string, metrics?: Record<string, number>) => void
}

function sha256File(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex')
}

/** The models index when every weights file is present with its recorded hash; null otherwise. */
export function readDemoModels(dir: string): DemoModelsIndex | null {
  const path = join(dir, 'models.json')
  if (!existsSync(path)) return null
  try {
    const index = JSON.parse(readFileSync(path, 'utf8')) as DemoModelsIndex
    for (const m of Object.values(index.models)) {
      const f = join(dir, m.weightsFile)
      if (!existsSync(f) || sha256File(f) !== m.fileSha256) return null
    }
    return index
  } catch {
    return null
  }
}

/** Rebuild a demo model from its manifest and weights file (for feature extraction). */
export function loadDemoModel(dir: string, m: DemoModelManifest): ZooModel {
  const model = createModel(m.arch, { width: Number(m.options['width']), depth: Number(m.options['depth']), inputSize: m.inputSize, seed: 0 })
  loadSafetensorsFile(model, join(dir, m.weightsFile))
  return model
}

function targetsFor(spec: DemoModelSpec, data: ProxyPatches): { targets: Float32Array; dim: number } {
  const cs = COLOUR_STAT_NAMES.length
  if (spec.proxyTask === 'colour-stats') return { targets: data.colourStats, dim: cs }
  const tc = data.truthChannels.length
  const dim = tc + cs
  const targets = new Float32Array(data.count * dim)
  for (let i = 0; i < data.count; i++) {
    targets.set(data.truth.subarray(i * tc, (i + 1) * tc), i * dim)
    targets.set(data.colourStats.subarray(i * cs, (i + 1) * cs), i * dim + tc)
  }
  return { targets, dim }
}

/**
 * Build (or reuse) both models. Cost with the default recipe on wasm (2-core machine): painting 64 slides of 768² ~30 s,
 * student 2×6.1k images, teacher 3×6.1k images at ~175 img/s (≈ 2.2 min in all). Same seed and backend → same weights.
 */
export async function buildDemoModels(o: BuildDemoModelsOptions): Promise<{ dir: string; index: DemoModelsIndex; reused: boolean }> {
  const recipe = o.recipe ?? demoModelsRecipe(o.seed ?? DEFAULT_MODELS_SEED)
  const hash = demoModelsHash(recipe)
  const existing = o.force ? null : readDemoModels(o.outDir)
  if (existing && existing.recipeHash === hash) {
    o.onProgress?.(1, `reusing demo models in ${o.outDir}`)
    return { dir: o.outDir, index: existing, reused: true }
  }
  mkdirSync(o.outDir, { recursive: true })
  o.onProgress?.(0, `painting ${recipe.pretrainSlides} pretraining slides (separate from the cohort)`)
  const painter = { ...recipe.painter, width: recipe.pretrainSlideSize, height: recipe.pretrainSlideSize }
  const data = buildProxyPatches(painter, recipe.seed, recipe.pretrainSlides, { patchesPerSlide: recipe.patchesPerSlide })
  const trainedOn = `${data.count} patches of ${recipe.pretrainSlides} synthetic pretraining slides (seed ${recipe.seed}, a seed namespace disjoint from the cohort's); no cohort slide and no slide label was used`
  const models = {} as Record<DemoRole, DemoModelManifest>
  const specs = [recipe.student, recipe.teacher]
  for (const [k, spec] of specs.entries()) {
    const model = createModel(spec.arch, { width: spec.width, depth: spec.depth, inputSize: recipe.painter.patchSize, seed: recipe.seed + k + 1 })
    try {
      const { targets, dim } = targetsFor(spec, data)
      const res = await pretrain({
        model, pixels: data.pixels, patchSize: data.patchSize, count: data.count, targets, targetDim: dim,
        epochs: spec.epochs, batchSize: spec.batchSize, learningRate: spec.learningRate, seed: recipe.seed * 7 + k, stainJitter: spec.stainJitter,
        ...(o.signal ? { signal: o.signal } : {}),
        onProgress: (f, msg, m) => o.onProgress?.((k + f) / specs.length, `${spec.name}: ${msg}`, { loss: m.loss, images_per_s: m.imagesPerSecond })
      })
      const weightsFile = `${spec.name}.safetensors`
      const tmp = join(o.outDir, `${weightsFile}.tmp-${process.pid}`)
      await saveSafetensorsFile(model, tmp)
      renameSync(tmp, join(o.outDir, weightsFile))
      models[spec.role] = {
        ...model.manifest,
        name: spec.name, role: spec.role, mpp: recipe.painter.mpp, patchSize: recipe.painter.patchSize,
        weightsFile, fileSha256: sha256File(join(o.outDir, weightsFile)), description: spec.description,
        proxyTask: spec.proxyTask, trainedOn,
        training: { epochs: spec.epochs, epochLosses: res.epochLosses, seconds: res.seconds, imagesPerSecond: res.imagesPerSecond, backend: tf.getBackend(), tfjs: tf.version.tfjs, patches: data.count },
        recipeHash: hash, synthetic: true
      }
      writeFileSync(join(o.outDir, `${spec.name}.json`), JSON.stringify(models[spec.role], null, 2) + '\n')
    } finally {
      model.dispose()
    }
  }
  const index: DemoModelsIndex = { format: 'tessera-demo-models/1', recipeHash: hash, recipe, models }
  const tmp = join(o.outDir, `models.json.tmp-${process.pid}`)
  writeFileSync(tmp, JSON.stringify(index, null, 2) + '\n')
  renameSync(tmp, join(o.outDir, 'models.json'))
  o.onProgress?.(1, `demo models written to ${o.outDir}`)
  return { dir: o.outDir, index, reused: false }
}
