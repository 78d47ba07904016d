// The per-slide feature loop: a reader pool decodes the next batches while the encoder runs on the current one
// (ORT and sharp/decoders work off the JS thread, so they genuinely overlap), then vectors go to the cache.
import type { GridPatch } from '../../src-shared/domain/grid'
import type { RgbaImage } from '../slides/slide-source'
import type { PatchEncoder } from '../interop/onnx-encoder'
import { writePatchNchw, type Preprocessing } from '../models/preprocess'
import { throwIfCancelled } from '../jobs/job-context'
import { countNonFinite, firstNonFinite } from '../models/finite'

export interface EncodeSlideOptions {
  patches: readonly Pick<GridPatch, 'x' | 'y'>[]
  read(patch: Pick<GridPatch, 'x' | 'y'>, signal: AbortSignal): Promise<RgbaImage>
  encoder: PatchEncoder
  preprocessing: Preprocessing
  batchSize: number
  /** concurrent patch reads */
  readers: number
  /** batches decoded ahead of the encoder */
  prefetch?: number
  signal: AbortSignal
  onBatch?(donePatches: number): void
}

/** Encode every patch in order; returns N×D float32. */
export async function encodePatches(o: EncodeSlideOptions): Promise<{ vectors: Float32Array; dim: number }> {
  const n = o.patches.length
  const s = o.preprocessing.inputSize
  if (s !== o.encoder.inputSize) throw new Error(`preprocessing size ${s}px differs from the encoder input ${o.encoder.inputSize}px`)
  const per = 3 * s * s
  const batches = Math.ceil(n / o.batchSize)
  const loadBatch = async (b: number): Promise<{ input: Float32Array; count: number }> => {
    const start = b * o.batchSize
    const count = Math.min(o.batchSize, n - start)
    const input = new Float32Array(count * per)
    let next = 0
    const worker = async (): Promise<void> => {
      while (next < count) {
        const i = next++
        throwIfCancelled(o.signal)
        const img = await o.read(o.patches[start + i] as Pick<GridPatch, 'x' | 'y'>, o.signal)
        writePatchNchw(img, o.preprocessing, input, i)
      }
    }
    await Promise.all(Array.from({ length: Math.max(1, Math.min(o.readers, count)) }, worker))
    return { input, count }
  }
  const ahead = Math.max(1, o.prefetch ?? 2)
  const pending: Promise<{ input: Float32Array; count: number }>[] = []
  // keep rejections of batches not yet awaited from surfacing as unhandled
  const track = (p: Promise<{ input: Float32Array; count: number }>): Promise<{ input: Float32Array; count: number }> => {
    p.catch(() => undefined)
    return p
  }
  for (let b = 0; b < Math.min(ahead, batches); b++) pending.push(track(loadBatch(b)))
  let vectors: Float32Array | null = null
  let dim = o.encoder.outputDim
  let done = 0
  for (let b = 0; b < batches; b++) {
    const { input, count } = await (pending.shift() as Promise<{ input: Float32Array; count: number }>)
    if (b + ahead < batches) pending.push(track(loadBatch(b + ahead)))
    throwIfCancelled(o.signal)
    const out = await o.encoder.encode(input, count)
    if (out.length % count !== 0) throw new Error(`encoder returned ${out.length} values for ${count} patches`)
    const bad = firstNonFinite(out)
    if (bad >= 0) {
      const p = o.patches[done + Math.floor(bad / (out.length / count))] as Pick<GridPatch, 'x' | 'y'>
      throw new Error(
        `the model produced non-finite features (NaN/Inf) for the patch at level-0 (${p.x}, ${p.y}) (${countNonFinite(out)} of ${out.length} values in its batch); nothing was cached for this slide — check the model's weights (tessera model import refuses NaN weights) and its input`
      )
    }
    if (!vectors) {
      dim = out.length / count
      vectors = new Float32Array(n * dim)
    } else if (out.length / count !== dim) {
      throw new Error(`encoder output width changed from ${dim} to ${out.length / count}`)
    }
    vectors.set(out, done * dim)
    done += count
    o.onBatch?.(done)
  }
  return { vectors: vectors ?? new Float32Array(0), dim }
}
