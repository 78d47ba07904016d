// The demo's student ("the lab's existing extractor") and teacher ("a pathology foundation model"), made reproducibly:
// zoo models (ResNet-18 student, ResNet-34 teacher; smallcnns in the smoke profile) pretrained on proxy tasks over
// SEPARATE synthetic slides; neither sees the cohort or its labels.
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

/** 'full': the pre-registered design (resources/demo/PREREGISTRATION.md); 'smoke': small CNNs, a few-minute pipeline check */
export type DemoProfile = 'full' | 'smoke'

export interface DemoModelSpec {
  name: string
  role: DemoRole
  arch: 'smallcnn' | 'resnet18' | 'resnet34'
  /** smallcnn only: channel width of the first stage and number of stages */
  width?: number
  depth?: number
  /**
   * 'colour-stats': generic pixel statistics only; 'patch-truth': the generator's truth of the patch itself (no
   * neighbourhood averages: those would make the teacher's features smooth over neighbours by construction, issue #15)
   * plus the colour statistics
   */
  proxyTask: 'colour-stats' | 'patch-truth'
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

/**
 * The pre-registered demo models (PREREGISTRATION.md §1–2): a ResNet-18 student (11.2 M parameters, 512-d, torchvision
 * names) pretrained on generic colour/texture statistics, and a ResNet-34 teacher (21.3 M, 512-d) pretrained on the
 * generator's per-patch truth with stain augmentation. Cost on the 2-core machine with native convolutions (64 px):
 * ResNet-18 ~100 img/s, ResNet-34 ~60 img/s training, so ~1 min + ~5 min for the pretraining below.
 */
export function demoModelsRecipe(seed = DEFAULT_MODELS_SEED, profile: DemoProfile = 'full'): DemoModelsRecipe {
  const base = { seed, pretrainSlides: 64, pretrainSlideSize: 768, patchesPerSlide: 96, painter: DEFAULT_PARAMS }
  if (profile === 'smoke') {
    return {
      ...base,
      student: {
        name: 'smoke-student', role: 'student', arch: 'smallcnn', width: 16, depth: 3, proxyTask: 'colour-stats',
        epochs: 1, batchSize: 64, learningRate: 2e-3, stainJitter: 0,
        description: 'Smoke profile only (a pipeline check, not the pre-registered test): a small CNN (24k parameters, 64-d) pretrained on generic colour/texture statistics.'
      },
      teacher: {
        name: 'smoke-teacher', role: 'teacher', arch: 'smallcnn', width: 32, depth: 4, proxyTask: 'patch-truth',
        epochs: 1, batchSize: 64, learningRate: 2e-3, stainJitter: 0.25,
        description: 'Smoke profile only (a pipeline check, not the pre-registered test): a small CNN (390k parameters, 256-d) pretrained on per-patch ground truth with stain augmentation.'
      }
    }
  }
  return {
    ...base,
    student: {
      name: 'demo-student', role: 'student', arch: 'resnet18', proxyTask: 'colour-stats',
      epochs: 1, batchSize: 64, learningRate: 1e-3, stainJitter: 0,
      description: 'Stands for the lab\'s existing extractor (typically an ImageNet ResNet-18): a ResNet-18 (11.2 M parameters, 512-d, torchvision names) pretrained to regress generic colour/texture statistics of patches (channel means/SDs, gradient energy, dark/pale fractions) on separate synthetic slides — no pathology knowledge.'
    },
    teacher: {
      name: 'demo-teacher', role: 'teacher', arch: 'resnet34', proxyTask: 'patch-truth',
      epochs: 3, batchSize: 64, learningRate: 1e-3, stainJitter: 0.25,
      description: 'Stands for a pathology foundation model: a ResNet-34 (21.3 M parameters, 512-d) pretrained to regress the generator\'s ground truth OF EACH PATCH ITSELF (atypia mean and max, nuclear area, stain amounts, tissue fraction; no neighbourhood averages) plus the colour statistics, with stain augmentation (random per-channel optical-density scaling) so it learns atypia across stain batches.'
    }
  }
}

export function demoModelsHash(r: DemoModelsRecipe): string {
  return createHash('sha256').update(JSON.stringify({ v: 2, ...r, student: { ...r.student, description: '' }, teacher: { ...r.teacher, description: '' } })).digest('hex')
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
  /** which design (default 'full'); ignored when `recipe` is given */
  profile?: DemoProfile
  /** a whole recipe instead of demoModelsRecipe(seed, profile) (tests use tiny ones) */
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
  const model = createModel(m.arch, { ...modelOptions(m.options), inputSize: m.inputSize, seed: 0 })
  loadSafetensorsFile(model, join(dir, m.weightsFile))
  return model
}

/** The smallcnn's width/depth from a manifest's options (the ResNets have none). */
function modelOptions(o: Record<string, unknown>): { width?: number; depth?: number } {
  return {
    ...(typeof o['width'] === 'number' ? { width: o['width'] } : {}),
    ...(typeof o['depth'] === 'number' ? { depth: o['depth'] } : {})
  }
}

/** Truth channels a 'patch-truth' teacher learns: the patch's own values, never its neighbourhood's. */
export const PATCH_TRUTH_CHANNELS = ['tissue_fraction', 'atypia_mean', 'atypia_max', 'nuclear_area_fraction', 'haematoxylin_mean', 'eosin_mean'] as const

function targetsFor(spec: DemoModelSpec, data: ProxyPatches): { targets: Float32Array; dim: number } {
  const cs = COLOUR_STAT_NAMES.length
  if (spec.proxyTask === 'colour-stats') return { targets: data.colourStats, dim: cs }
  const tc = data.truthChannels.length
  const columns = PATCH_TRUTH_CHANNELS.map((name) => {
    const k = data.truthChannels.indexOf(name)
    if (k < 0) throw new Error(`pretraining data lacks the truth channel '${name}'`)
    return k
  })
  const dim = columns.length + cs
  const targets = new Float32Array(data.count * dim)
  for (let i = 0; i < data.count; i++) {
    columns.forEach((k, j) => (targets[i * dim + j] = data.truth[i * tc + k] as number))
    targets.set(data.colourStats.subarray(i * cs, (i + 1) * cs), i * dim + columns.length)
  }
  return { targets, dim }
}

/**
 * Build (or reuse) both models. Cost of the full recipe on wasm + native convolutions (2-core machine): painting 64
 * slides of 768² ~30 s, student 1×5.6k images at ~100 img/s, teacher 3×5.6k at ~60 img/s (≈ 6.5 min in all); the smoke
 * recipe ≈ 1 min. Same seed, backend and thread count → same weights.
 */
export async function buildDemoModels(o: BuildDemoModelsOptions): Promise<{ dir: string; index: DemoModelsIndex; reused: boolean }> {
  const recipe = o.recipe ?? demoModelsRecipe(o.seed ?? DEFAULT_MODELS_SEED, o.profile ?? 'full')
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
    const model = createModel(spec.arch, { ...modelOptions({ width: spec.width, depth: spec.depth }), inputSize: recipe.painter.patchSize, seed: recipe.seed + k + 1 })
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
