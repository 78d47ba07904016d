// Benchmark of the features room: feature-cache write/read throughput (vectors/s, MB/s, against a plain file read of
// the same bytes), ONNX teacher inference (ResNet-18 @224, exported from Debian torchvision when present) at 1 thread
// and all cores, and the whole extraction loop (read patch → preprocess → encode) on a generated slide.
// Backend: onnxruntime-node CPU execution provider; cores noted in every figure group.
import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { cpus } from 'node:os'
import { join } from 'node:path'
import type { BenchContext } from './harness'
import { openDatabase } from '../store/database'
import { FeatureCache, type FeatureDtype } from '../store/feature-cache'
import { fsyncPath } from '../models/atomic-files'
import { openOnnxEncoder } from '../interop/onnx-encoder'
import { appRoot } from '../core/app-root'
import { writeTestSlide } from '../slides/synth/write-test-slide'
import { openSlide } from '../slides/registry'
import { computeGrid } from '../tissue/grid-store'
import { readPatch } from '../tissue/read-patch'
import { encodePatches } from '../workers/features-extract-loop'

const r2 = (v: number): number => Math.round(v * 100) / 100
const SYSTEM_PYTHON = '/usr/bin/python3'

function seeded(n: number): Float32Array {
  const out = new Float32Array(n)
  let s = 12345
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) >>> 0
    out[i] = (s / 2 ** 32) * 4 - 2
  }
  return out
}

async function cacheThroughput(ctx: BenchContext): Promise<Record<string, unknown>> {
  const n = ctx.quick ? 5_000 : 20_000
  const dim = 768
  const vectors = seeded(n * dim)
  const coords = new Int32Array(n * 2).map((_, i) => i * 224)
  const out: Record<string, unknown> = { vectors: n, dim, cores: cpus().length, note: 'SQLite WAL + synchronous=FULL, one transaction per slide; raw = readFileSync of the same float32 bytes (page cache warm)' }
  for (const dtype of ['float16', 'float32'] as FeatureDtype[]) {
    const db = openDatabase(join(ctx.workDir, `cache-${dtype}.db`))
    const cache = new FeatureCache(db)
    const key = { slideChecksum: 'bench', gridKey: 'g', encoderKey: 'e', dtype }
    const bytes = n * dim * (dtype === 'float16' ? 2 : 4)
    let t = performance.now()
    cache.writeSlide(key, { dim, vectors, coords })
    const writeS = (performance.now() - t) / 1000
    t = performance.now()
    const back = cache.read(key)
    const readS = (performance.now() - t) / 1000
    if (back?.vectors.length !== vectors.length) throw new Error('cache read returned the wrong size')
    out[dtype] = {
      storedMB: r2(bytes / 1e6),
      writeVectorsPerS: Math.round(n / writeS),
      writeMBps: r2(bytes / 1e6 / writeS),
      readVectorsPerS: Math.round(n / readS),
      readMBps: r2(bytes / 1e6 / readS)
    }
    db.close()
  }
  const raw = join(ctx.workDir, 'raw.f32')
  writeFileSync(raw, Buffer.from(vectors.buffer))
  fsyncPath(raw)
  readFileSync(raw)
  const t = performance.now()
  const buf = readFileSync(raw)
  const s = (performance.now() - t) / 1000
  out['rawFileRead'] = { MB: r2(buf.length / 1e6), MBps: r2(buf.length / 1e6 / s), vectorsPerS: Math.round(n / s) }
  return out
}

/** ResNet-18 ONNX made once per bench run with Debian torch (random weights: speed only). */
function resnet18Onnx(ctx: BenchContext): string | { skipped: string } {
  const file = join(ctx.workDir, 'resnet18.onnx')
  if (existsSync(file)) return file
  if (!existsSync(SYSTEM_PYTHON)) return { skipped: `${SYSTEM_PYTHON} not found` }
  try {
    execFileSync(SYSTEM_PYTHON, [join(appRoot(), 'scripts', 'fixtures', 'make-resnet18-onnx.py'), file], { stdio: 'pipe', timeout: 300_000 })
  } catch (e) {
    return { skipped: `could not export ResNet-18 with Debian torch/torchvision: ${(e as Error).message.split('\n')[0]}` }
  }
  return file
}

async function teacherThroughput(ctx: BenchContext, model: string): Promise<Record<string, unknown>> {
  const batch = 32
  const iters = ctx.quick ? 2 : 5
  const input = seeded(batch * 3 * 224 * 224)
  const out: Record<string, unknown> = { model: 'resnet18 (torchvision, random weights) @224', batch, iterations: iters, cores: cpus().length }
  for (const threads of [1, cpus().length]) {
    const enc = await openOnnxEncoder(model, { provider: 'cpu', threads })
    await enc.encode(input, batch) // warm-up
    const t = performance.now()
    for (let i = 0; i < iters; i++) await enc.encode(input, batch)
    const s = (performance.now() - t) / 1000
    out[`threads${threads}`] = { backend: enc.backend, patchesPerS: r2((iters * batch) / s) }
    await enc.close()
  }
  return out
}

async function pipelineThroughput(ctx: BenchContext, model: string): Promise<Record<string, unknown>> {
  const path = join(ctx.workDir, 'bench-slide.tiff')
  const side = ctx.quick ? 3072 : 6144
  await writeTestSlide({ path, format: 'generic-tiff', width: side, height: side, seed: 11, mpp: 0.5 })
  const source = await openSlide(path)
  try {
    const grid = await computeGrid(source, 'bench', null, { targetMpp: 0.5, patchSize: 224, overlap: 0, minTissue: 0.25 })
    const enc = await openOnnxEncoder(model, { provider: 'cpu' })
    const signal = new AbortController().signal
    const t = performance.now()
    const { dim } = await encodePatches({
      patches: grid.patches,
      read: (p, sig) => readPatch(source, grid.info, p, sig),
      encoder: enc,
      preprocessing: { inputSize: 224, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] },
      batchSize: 32,
      readers: 4,
      signal
    })
    const s = (performance.now() - t) / 1000
    // decode-only pass over the same patches: how much of the time reading alone would take
    const t2 = performance.now()
    for (const p of grid.patches) await readPatch(source, grid.info, p)
    const readOnlyS = (performance.now() - t2) / 1000
    await enc.close()
    return {
      slide: `${side}×${side} generic TIFF (JPEG tiles), grid 224 px @0.5 µm/px`,
      patches: grid.patches.length,
      dim,
      cores: cpus().length,
      backend: enc.backend,
      patchesPerS: r2(grid.patches.length / s),
      readOnlyPatchesPerS: r2(grid.patches.length / readOnlyS),
      note: 'extraction loop = reader pool (4 concurrent reads, 2 batches ahead) overlapping ONNX inference'
    }
  } finally {
    await source.close()
  }
}

export async function benchFeatures(ctx: BenchContext): Promise<Record<string, unknown>> {
  ctx.log('features: cache throughput')
  const cache = await cacheThroughput(ctx)
  ctx.log('features: exporting ResNet-18 to ONNX (Debian torch)')
  const model = resnet18Onnx(ctx)
  if (typeof model !== 'string') return { cache, teacherOnnx: model, extraction: model }
  ctx.log('features: ONNX teacher throughput')
  const teacherOnnx = await teacherThroughput(ctx, model)
  ctx.log('features: extraction loop on a generated slide')
  const extraction = await pipelineThroughput(ctx, model)
  return { cache, teacherOnnx, extraction }
}
