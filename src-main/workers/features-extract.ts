// Job kind `features.extract`: run a registered encoder (ONNX or zoo model) over every grid patch of the selected
// slides and cache the vectors per slide. Resumable per slide: slides whose set is complete in the cache are skipped,
// so a rerun recomputes nothing and a killed job continues from the last finished slide.
import { z } from 'zod'
import { throwIfCancelled, type JobKind } from '../jobs/job-context'
import { SlidesRepo } from '../store/slides-repo'
import { ModelsRepo } from '../store/models-repo'
import { FeatureCache } from '../store/feature-cache'
import { encoderKeyOf, parseManifest } from '../models/manifest'
import { openSlide } from '../slides/registry'
import { getOrComputeGrid } from '../tissue/grid-store'
import { readPatch } from '../tissue/read-patch'
import { openModelEncoder } from './encoders'
import { encodePatches } from './features-extract-loop'

export const FeaturesExtractParams = z.object({
  projectId: z.number().int().positive(),
  modelId: z.number().int().positive(),
  slideIds: z.array(z.number().int().positive()).optional(),
  grid: z.object({ targetMpp: z.number().positive(), patchSize: z.number().int().min(8), overlap: z.number().int().min(0), minTissue: z.number().min(0).max(1) }),
  dtype: z.enum(['float16', 'float32']).default('float16'),
  batchSize: z.number().int().min(1).max(1024).default(32),
  readers: z.number().int().min(1).max(32).default(4),
  provider: z.enum(['auto', 'cpu', 'cuda']).default('auto'),
  threads: z.number().int().min(1).max(256).optional()
})
export type FeaturesExtractParams = z.input<typeof FeaturesExtractParams>

export const featuresExtract: JobKind = {
  resumable: true,
  async run(ctx) {
    const p = FeaturesExtractParams.parse(ctx.params)
    const model = new ModelsRepo(ctx.db).get(p.modelId)
    const manifest = parseManifest(model.manifest, `model "${model.name}"`)
    if (!model.weightsPath) throw new Error(`model "${model.name}" has no weights file`)
    const all = new SlidesRepo(ctx.db).list(p.projectId)
    const wanted = p.slideIds ? all.filter((s) => p.slideIds?.includes(s.id)) : all
    const missing = (p.slideIds ?? []).filter((id) => !all.some((s) => s.id === id))
    if (missing.length) throw new Error(`slides ${missing.join(', ')} are not in project ${p.projectId}`)
    const slides = wanted.filter((s) => s.status === 'ok' && s.checksum)
    const unusable = wanted.filter((s) => !(s.status === 'ok' && s.checksum)).map((s) => ({ slide: s.name, error: s.error ?? `status ${s.status}` }))
    if (slides.length === 0) throw new Error(`project ${p.projectId} has no readable slides to extract features from`)
    const cache = new FeatureCache(ctx.db)
    const ek = encoderKeyOf(manifest)
    const prep = { inputSize: manifest.inputSize, mean: manifest.mean, std: manifest.std }
    const encoder = await openModelEncoder(manifest, model.weightsPath, { provider: p.provider, ...(p.threads ? { threads: p.threads } : {}) })
    const started = Date.now()
    let encoded = 0
    let computed = 0
    let skipped = 0
    const failed: { slide: string; error: string }[] = [...unusable]
    try {
      for (let i = 0; i < slides.length; i++) {
        const slide = slides[i] as (typeof slides)[number]
        throwIfCancelled(ctx.signal)
        ctx.progress(i / slides.length, `slide ${i + 1}/${slides.length}: ${slide.name}`, { unit: 'patches', rate: rate(encoded, started) })
        let source
        try {
          source = await openSlide(slide.path, { signal: ctx.signal })
        } catch (e) {
          failed.push({ slide: slide.name, error: (e as Error).message })
          continue
        }
        try {
          const grid = await getOrComputeGrid(ctx.db, slide, p.grid, { source, signal: ctx.signal })
          const key = { slideChecksum: slide.checksum as string, gridKey: grid.info.key, encoderKey: ek, dtype: p.dtype }
          if (cache.isComplete(key)) {
            skipped++
            continue
          }
          const n = grid.patches.length
          const { vectors, dim } = await encodePatches({
            patches: grid.patches,
            read: (patch, signal) => readPatch(source, grid.info, patch, signal),
            encoder,
            preprocessing: prep,
            batchSize: p.batchSize,
            readers: p.readers,
            signal: ctx.signal,
            onBatch: (done) =>
              ctx.progress((i + done / Math.max(1, n)) / slides.length, `slide ${i + 1}/${slides.length}: ${slide.name} ${done}/${n} patches`, {
                unit: 'patches',
                rate: rate(encoded + done, started)
              })
          })
          encoded += n
          const coords = new Int32Array(n * 2)
          grid.patches.forEach((gp, j) => coords.set([gp.x, gp.y], j * 2))
          cache.writeSlide(key, {
            dim: n > 0 ? dim : Math.max(1, encoder.outputDim),
            vectors,
            coords,
            slideName: slide.name,
            producedBy: {
              jobId: ctx.jobId,
              model: model.name,
              arch: manifest.arch,
              weightSha256: manifest.weightSha256,
              backend: encoder.backend,
              grid: grid.info,
              slideWidth: slide.width,
              slideHeight: slide.height,
              objectivePower: (slide.metadata['objectivePower'] as number | undefined) ?? null
            }
          })
          computed++
          ctx.writeState({ finishedSlides: computed + skipped, lastSlideId: slide.id })
        } catch (e) {
          if (ctx.signal.aborted) throw e
          failed.push({ slide: slide.name, error: (e as Error).message })
        } finally {
          await source.close()
        }
      }
    } finally {
      await encoder.close()
    }
    const seconds = (Date.now() - started) / 1000
    ctx.progress(1, `${computed} computed, ${skipped} cached, ${failed.length} failed`, { unit: 'patches', rate: rate(encoded, started) })
    // finished slides stay cached: resuming (or rerunning) the job retries only the failed ones
    if (failed.length) throw new Error(`${failed.length} slide(s) failed (${computed + skipped} done and cached): ${failed.map((f) => `${f.slide}: ${f.error}`).join('; ')}`)
    return {
      model: model.name,
      encoderKey: ek,
      backend: encoder.backend,
      notes: encoder.notes,
      slides: slides.length,
      computed,
      skipped,
      failed,
      patchesEncoded: encoded,
      seconds,
      patchesPerSecond: seconds > 0 ? encoded / seconds : null,
      parameters: encoder.cost?.parameters ?? null,
      gflopsPerPatch: encoder.cost?.gflopsPerPatch ?? null
    }
  }
}

function rate(done: number, started: number): number {
  const s = (Date.now() - started) / 1000
  return s > 0 ? done / s : 0
}
