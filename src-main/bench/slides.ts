// Benchmark of the slides room: random 224×224 level-0 regions/s for our npm-only reader and for OpenSlide on the
// same generated file in the same run (wall and CPU ms per region), one request at a time, plus J2K SVS.
// Backends: sharp/libjpeg-turbo and OpenJPEG wasm (ours); libopenslide via koffi in-process (reference, sync)
// and via the crash-isolated host process (what the app uses). Tile caches: 32 MiB each (OpenSlide's default),
// plus our reader with the app's default 128 MiB cache.
import { cpus } from 'node:os'
import { join } from 'node:path'
import type { BenchContext } from './harness'
import { OpenSlideHandle, openSlideAvailability } from '../slides/openslide/binding'
import { OpenSlideSource, openSlideHost } from '../slides/openslide/openslide-client'
import type { SlideSource } from '../slides/slide-source'
import { seededRandom } from '../slides/synth/texture'
import { writeTestSlide } from '../slides/synth/write-test-slide'
import type { SynthFormat } from '../slides/synth/write-test-slide'
import { TileCache } from '../slides/tile-cache'
import { TiffSlide } from '../slides/tiff/tiff-slide'

interface Rate {
  regions: number
  regionsPerSec: number
  wallMsPerRegion: number
  cpuMsPerRegion: number
}

const round = (v: number, d = 2): number => Math.round(v * 10 ** d) / 10 ** d

async function timeRegions(points: [number, number][], read: (x: number, y: number) => Promise<unknown> | unknown): Promise<Rate> {
  const cpu0 = process.cpuUsage()
  const t0 = performance.now()
  for (const [x, y] of points) await read(x, y)
  const wall = performance.now() - t0
  const cpu = process.cpuUsage(cpu0)
  return {
    regions: points.length,
    regionsPerSec: round((points.length * 1000) / wall, 1),
    wallMsPerRegion: round(wall / points.length),
    cpuMsPerRegion: round((cpu.user + cpu.system) / 1000 / points.length)
  }
}

async function benchFile(ctx: BenchContext, format: SynthFormat, size: number, count: number): Promise<Record<string, unknown>> {
  const path = join(ctx.workDir, `slides-bench-${format}-${size}.tif`)
  const t0 = performance.now()
  await writeTestSlide({ path, format, width: size, height: size, seed: 42 })
  ctx.log(`slides: ${format} ${size}² generated in ${round((performance.now() - t0) / 1000)} s`)
  const rand = seededRandom(7)
  const points: [number, number][] = Array.from({ length: count }, () => [Math.floor(rand() * (size - 224)), Math.floor(rand() * (size - 224))])
  const out: Record<string, unknown> = { file: { format, width: size, height: size, tile: 256 } }
  const rounds: Record<string, Rate[]> = { ours: [], oursDefaultCache: [], openslideInProcess: [], openslideHost: [] }
  const avail = openSlideAvailability()
  // interleaved rounds; each round uses fresh handles/caches so every round starts cold
  for (let round_ = 0; round_ < 3; round_++) {
    ctx.log(`slides: ${format} round ${round_ + 1}/3`)
    const ours = await TiffSlide.open(path, { cache: new TileCache(32 * 2 ** 20) })
    rounds['ours']!.push(await timeRegions(points, (x, y) => ours.readRegion(x, y, 0, 224, 224)))
    await ours.close()
    const oursBig = await TiffSlide.open(path, { cache: new TileCache() })
    rounds['oursDefaultCache']!.push(await timeRegions(points, (x, y) => oursBig.readRegion(x, y, 0, 224, 224)))
    await oursBig.close()
    if (avail.available) {
      const ref = new OpenSlideHandle(path)
      rounds['openslideInProcess']!.push(await timeRegions(points, (x, y) => ref.readRegion(x, y, 0, 224, 224)))
      ref.close()
      const host: SlideSource = await OpenSlideSource.open(path)
      // host CPU is in the child process: cpuMsPerRegion here is only the app side (IPC + copy)
      rounds['openslideHost']!.push(await timeRegions(points, (x, y) => host.readRegion(x, y, 0, 224, 224)))
      await host.close()
    }
  }
  const median = (rs: Rate[]): Rate | null => (rs.length ? [...rs].sort((a, b) => a.regionsPerSec - b.regionsPerSec)[Math.floor(rs.length / 2)]! : null)
  out['ours'] = { backend: 'npm reader (sharp libjpeg-turbo / OpenJPEG wasm), 1 request at a time, 32 MiB tile cache', ...median(rounds['ours']!) }
  out['oursDefaultCache'] = { backend: 'same, with the app default 128 MiB tile cache', ...median(rounds['oursDefaultCache']!) }
  if (avail.available) {
    out['openslideInProcess'] = { backend: `libopenslide ${avail.version} via koffi, sync, same process`, ...median(rounds['openslideInProcess']!) }
    out['openslideHost'] = { backend: `libopenslide ${avail.version} in the crash-isolated host process (app path); CPU = app side only`, ...median(rounds['openslideHost']!) }
    const o = (out['ours'] as Rate).regionsPerSec
    out['oursVsOpenslideInProcess'] = round(o / (out['openslideInProcess'] as Rate).regionsPerSec)
  } else out['openslide'] = `not measured: ${avail.reason}`
  return out
}

/** Regions/s on a generic JPEG TIFF and a JPEG 2000 SVS (median of 3 interleaved rounds). */
export async function benchSlides(ctx: BenchContext): Promise<Record<string, unknown>> {
  const size = ctx.quick ? 4096 : 8192
  const count = ctx.quick ? 300 : 1000
  try {
    return {
      cores: cpus().length,
      note: 'median of 3 interleaved cold rounds; random 224x224 level-0 regions, x/y uniform over the slide',
      jpeg: await benchFile(ctx, 'generic-tiff', size, count),
      j2k: await benchFile(ctx, 'svs-j2k-rgb', ctx.quick ? 2048 : 4096, ctx.quick ? 60 : 200)
    }
  } finally {
    openSlideHost().stop()
  }
}
