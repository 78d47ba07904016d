// Demo student/teacher: proxy data from separate slides (deterministic, disjoint seeds), colour statistics, a tiny
// end-to-end build (weights + manifests + reuse + reload) on the wasm backend.
import * as tf from '@tensorflow/tfjs'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { planCohort } from '../../../src-main/cohort/plan'
import { DEFAULT_PARAMS, makeRecipe } from '../../../src-main/cohort/recipe'
import { useBackend } from '../../../src-main/ml/backend'
import { buildDemoModels, demoModelsHash, demoModelsRecipe, loadDemoModel, PATCH_TRUTH_CHANNELS, readDemoModels, type DemoModelsRecipe } from '../../../src-main/ml/demo/demo-models'
import { extractFeatures } from '../../../src-main/ml/demo/pretrain'
import { stainLuts } from '../../../src-main/ml/demo/pretrain'
import { Prng } from '../../../src-main/cohort/prng'
import { buildProxyPatches, colourStats, COLOUR_STAT_NAMES, pretrainSlideSeed } from '../../../src-main/ml/demo/proxy-data'
import { tempDir } from '../../helpers/tmp'

const TINY_PAINTER = { ...DEFAULT_PARAMS, width: 320, height: 320 }

function tinyRecipe(): DemoModelsRecipe {
  const r = demoModelsRecipe(5)
  return {
    ...r,
    pretrainSlides: 2,
    pretrainSlideSize: 320,
    painter: TINY_PAINTER,
    student: { ...r.student, arch: 'smallcnn', width: 4, depth: 2, epochs: 1, batchSize: 16 },
    teacher: { ...r.teacher, arch: 'smallcnn', width: 6, depth: 2, epochs: 1, batchSize: 16 }
  }
}

describe('demo models recipe', () => {
  it('pre-registered design: a ResNet-18 student on generic statistics, a larger ResNet-34 teacher on per-patch truth with stain augmentation', () => {
    const r = demoModelsRecipe()
    expect([r.student.arch, r.student.proxyTask, r.student.stainJitter]).toEqual(['resnet18', 'colour-stats', 0])
    expect([r.teacher.arch, r.teacher.proxyTask]).toEqual(['resnet34', 'patch-truth'])
    expect(r.teacher.stainJitter).toBeGreaterThan(0)
    // the teacher learns each patch's own truth, never its neighbourhood's (that would smooth its features by construction)
    expect(PATCH_TRUTH_CHANNELS.some((c) => c.includes('context'))).toBe(false)
    expect(PATCH_TRUTH_CHANNELS).toContain('atypia_mean')
    const smoke = demoModelsRecipe(undefined, 'smoke')
    expect([smoke.student.arch, smoke.teacher.arch, smoke.teacher.proxyTask]).toEqual(['smallcnn', 'smallcnn', 'patch-truth'])
    expect(demoModelsHash(smoke)).not.toBe(demoModelsHash(r))
  })
})

beforeAll(async () => {
  await useBackend('wasm')
})

describe('proxy pretraining data', () => {
  it('is deterministic and comes from slides whose seeds the cohort never uses', () => {
    const a = buildProxyPatches(TINY_PAINTER, 9, 2)
    const b = buildProxyPatches(TINY_PAINTER, 9, 2)
    expect(a.count).toBeGreaterThan(10)
    expect(Buffer.from(a.pixels).equals(Buffer.from(b.pixels))).toBe(true)
    expect(a.truth).toEqual(b.truth)
    expect(a.truthChannels).toContain('atypia_context3')
    const cohortSeeds = new Set(planCohort(makeRecipe(9)).map((s) => s.seed))
    for (let i = 0; i < 50; i++) expect(cohortSeeds.has(pretrainSlideSeed(9, i))).toBe(false)
  })

  it('computes colour statistics of a patch by hand-checkable rules', () => {
    const size = 4
    const px = new Uint8Array(size * size * 3)
    // left half black, right half white: mean 127.5, sd 127.5, half dark, half pale, one vertical edge per row
    for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) px.fill(x < 2 ? 0 : 255, (y * size + x) * 3, (y * size + x) * 3 + 3)
    const out = new Float32Array(COLOUR_STAT_NAMES.length)
    colourStats(px, size, out, 0)
    expect(out[0]).toBeCloseTo(0.5, 5)
    expect(out[3]).toBeCloseTo(0.5, 5)
    expect(out[7]).toBeCloseTo(0.5, 5)
    expect(out[8]).toBeCloseTo(0.5, 5)
    // 3 interior rows × 1 edge of 255 over 16 px, scaled by 1/64
    expect(out[6]).toBeCloseTo((3 * 255) / 16 / 64, 5)
  })

  it('samples a fixed number of patches per slide, the same ones each time', () => {
    const all = buildProxyPatches(TINY_PAINTER, 9, 2)
    const a = buildProxyPatches(TINY_PAINTER, 9, 2, { patchesPerSlide: 4 })
    const b = buildProxyPatches(TINY_PAINTER, 9, 2, { patchesPerSlide: 4 })
    expect(a.count).toBe(8)
    expect(all.count).toBeGreaterThan(8)
    expect(Buffer.from(a.pixels).equals(Buffer.from(b.pixels))).toBe(true)
  })
})

describe('stain augmentation', () => {
  it('scales optical density: darker or paler per channel, white stays white, order of values kept', () => {
    const rng = new Prng(3)
    for (let t = 0; t < 20; t++) {
      const luts = stainLuts(rng, 0.25)
      for (const lut of luts) {
        expect(lut[255]).toBeCloseTo(255, 3)
        for (let v = 1; v < 256; v++) expect(lut[v]!).toBeGreaterThanOrEqual(lut[v - 1]!)
        // OD scaled by at most (1.25 · 1.125): a mid value moves, but stays inside the range that scaling allows
        const od = -Math.log(129 / 256)
        expect(-Math.log((lut[128]! + 1) / 256) / od).toBeGreaterThan(0.75 * 0.875 - 1e-6)
        expect(-Math.log((lut[128]! + 1) / 256) / od).toBeLessThan(1.25 * 1.125 + 1e-6)
      }
    }
    const same = stainLuts(new Prng(3), 0.25)
    expect(Array.from(same[0]!)).toEqual(Array.from(stainLuts(new Prng(3), 0.25)[0]!))
  })
})

describe('buildDemoModels (tiny recipe)', () => {
  it('writes student and teacher safetensors with manifests, reuses them, and reloads the same weights', async () => {
    const dir = tempDir('demo-models-')
    const first = await buildDemoModels({ outDir: dir, recipe: tinyRecipe() })
    expect(first.reused).toBe(false)
    const { student, teacher } = first.index.models
    expect(student.role).toBe('student')
    expect(teacher.role).toBe('teacher')
    expect(teacher.outputDim).toBeGreaterThan(student.outputDim)
    expect(student.trainedOn).toMatch(/no cohort slide and no slide label/)
    for (const m of [student, teacher]) {
      expect(existsSync(join(dir, m.weightsFile))).toBe(true)
      expect(m.weightHash).toMatch(/^[0-9a-f]{64}$/)
      expect(m.training.epochLosses.every(Number.isFinite)).toBe(true)
      expect(JSON.parse(readFileSync(join(dir, `${m.name}.json`), 'utf8')).fileSha256).toBe(m.fileSha256)
    }
    const again = await buildDemoModels({ outDir: dir, recipe: tinyRecipe() })
    expect(again.reused).toBe(true)
    expect(readDemoModels(dir)?.recipeHash).toBe(first.index.recipeHash)

    const data = buildProxyPatches(TINY_PAINTER, 1, 1)
    const m1 = loadDemoModel(dir, teacher)
    const m2 = loadDemoModel(dir, teacher)
    try {
      const f1 = await extractFeatures(m1, data.pixels, data.patchSize, 8)
      const f2 = await extractFeatures(m2, data.pixels, data.patchSize, 8)
      expect(f1).toEqual(f2)
      expect(m1.manifest.weightHash).toBe(teacher.weightHash)
      expect(f1.some((v) => v !== 0)).toBe(true)
    } finally {
      m1.dispose()
      m2.dispose()
    }
    expect(tf.getBackend()).toBe('wasm')
  }, 120_000)

  it('is reproducible: the same recipe gives the same weights', async () => {
    const a = await buildDemoModels({ outDir: tempDir('demo-models-a-'), recipe: tinyRecipe() })
    const b = await buildDemoModels({ outDir: tempDir('demo-models-b-'), recipe: tinyRecipe() })
    expect(a.index.models.student.weightHash).toBe(b.index.models.student.weightHash)
    expect(a.index.models.teacher.weightHash).toBe(b.index.models.teacher.weightHash)
  }, 120_000)
})
