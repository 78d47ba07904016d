// Benchmark of the tiles room: Deep Zoom tile latency (median, p95, CPU ms) with pass-through and without,
// on generated slides (generic TIFF with 2× levels; SVS with 4× levels), plus thumbnail and tissue-mask + grid time.
// Single-threaded (one request at a time), CPU backend (sharp/libjpeg-turbo); no cache hits (LRU budget 0).
import { join } from 'node:path'
import { cpus } from 'node:os'
import type { BenchContext } from './harness'
import { writeTestSlide, type SynthFormat } from '../slides/synth/write-test-slide'
import { openSlide } from '../slides/registry'
import type { SlideSource } from '../slides/slide-source'
import { TileService } from '../tiles/tile-service'
import { dzLevels } from '../tiles/deep-zoom'
import { computeGrid, DEFAULT_GRID_PARAMS } from '../tissue/grid-store'

/** Deterministic pseudo-random sequence (mulberry32) so runs request the same tiles. */
function rng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const quantile = (sorted: number[], q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN
const round2 = (v: number): number => Math.round(v * 100) / 100

interface Latency {
  tiles: number
  medianMs: number
  p95Ms: number
  cpuMsPerTile: number
  passThroughShare: number
}

async function measure(source: SlideSource, passThrough: boolean, zs: number[], count: number, seed: number): Promise<Latency> {
  const tiles = new TileService({ passThrough, cacheBytes: 0 })
  const levels = dzLevels(source.metadata.width, source.metadata.height)
  const rand = rng(seed)
  const times: number[] = []
  let passed = 0
  const cpu0 = process.cpuUsage()
  for (let i = 0; i < count; i++) {
    const z = zs[Math.floor(rand() * zs.length)] as number
    const l = levels[z]!
    const col = Math.floor(rand() * l.cols)
    const row = Math.floor(rand() * l.rows)
    const t0 = performance.now()
    const r = await tiles.tile(source, 'bench', z, col, row)
    times.push(performance.now() - t0)
    if (r?.how === 'pass-through') passed++
  }
  const cpu = process.cpuUsage(cpu0)
  times.sort((a, b) => a - b)
  return {
    tiles: count,
    medianMs: round2(quantile(times, 0.5)),
    p95Ms: round2(quantile(times, 0.95)),
    cpuMsPerTile: round2((cpu.user + cpu.system) / 1000 / count),
    passThroughShare: round2(passed / count)
  }
}

async function slideFigures(ctx: BenchContext, format: SynthFormat, size: number, count: number): Promise<Record<string, unknown>> {
  const path = join(ctx.workDir, `tiles-${format}-${size}.${format === 'svs' ? 'svs' : 'tif'}`)
  ctx.log(`tiles: writing ${format} ${size}² test slide`)
  await writeTestSlide({ path, format, width: size, height: size, seed: 7 })
  const source = await openSlide(path)
  try {
    const maxZ = dzLevels(size, size).length - 1
    const full = [maxZ]
    const mixed = [maxZ, maxZ, maxZ - 1, maxZ - 2, maxZ - 3] // a panning viewer mostly asks for full resolution
    const out: Record<string, unknown> = {
      slide: `${format} ${size}×${size}, levels ${source.metadata.levels.map((l) => l.downsample).join('/')}`
    }
    // warm-up: first decode loads the codec and file pages
    await measure(source, false, full, 5, 1)
    out['fullResPassThrough'] = await measure(source, true, full, count, 2)
    out['fullResRendered'] = await measure(source, false, full, count, 2)
    out['mixedPassThrough'] = await measure(source, true, mixed, count, 3)
    out['mixedRendered'] = await measure(source, false, mixed, count, 3)
    const t0 = performance.now()
    await new TileService({ cacheBytes: 0 }).thumbnail(source, 'bench', 1024)
    out['thumbnail1024Ms'] = round2(performance.now() - t0)
    const t1 = performance.now()
    const grid = await computeGrid(source, 'bench', null, DEFAULT_GRID_PARAMS)
    out['tissueMaskAndGridMs'] = round2(performance.now() - t1)
    out['gridPatches'] = grid.patches.length
    return out
  } finally {
    await source.close()
  }
}

export async function benchTiles(ctx: BenchContext): Promise<Record<string, unknown>> {
  const size = ctx.quick ? 4096 : 8192
  const count = ctx.quick ? 150 : 400
  return {
    cores: cpus().length,
    backend: 'cpu: sharp (libvips + libjpeg-turbo), npm TIFF reader; one request at a time; tile LRU disabled',
    generic: await slideFigures(ctx, 'generic-tiff', size, count),
    svs: await slideFigures(ctx, 'svs', size, count)
  }
}
