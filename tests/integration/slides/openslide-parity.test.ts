// Parity of the npm-only readers with OpenSlide (system libopenslide) on generated slides: metadata, associated
// images and readRegion pixels at random places/levels (exact for JPEG, ±2 for JPEG 2000). DICOM (which
// OpenSlide 3.4 cannot read) is compared with the source tiles via the same-seed generic TIFF.
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { OpenSlideHandle, openSlideAvailability } from '../../../src-main/slides/openslide/binding'
import { OpenSlideHost, openSlideHost } from '../../../src-main/slides/openslide/openslide-client'
import { openSlide } from '../../../src-main/slides/registry'
import type { SlideSource } from '../../../src-main/slides/slide-source'
import { SlideError } from '../../../src-main/slides/slide-source'
import { seededRandom } from '../../../src-main/slides/synth/texture'
import { writeTestSlide } from '../../../src-main/slides/synth/write-test-slide'
import type { SynthFormat } from '../../../src-main/slides/synth/write-test-slide'
import { tempDir } from '../../helpers/tmp'

const availability = openSlideAvailability()
if (!availability.available) {
  if (process.env['CI']) throw new Error(`libopenslide is required in CI for the parity tests: ${availability.reason}`)
  console.warn(`[slides parity] SKIPPED: libopenslide not loadable (${availability.reason}); install libopenslide0`)
} else console.log(`[slides parity] OpenSlide ${availability.version}`)

const W = 1536
const H = 1024

function maxDiff(a: Uint8Array, b: Uint8Array): number {
  expect(a.length).toBe(b.length)
  let m = 0
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!))
  return m
}

/** Random region specs with level-0 x/y on the level's pixel grid (OpenSlide resamples sub-pixel offsets). */
function randomRegions(slide: SlideSource, n: number, seed: number): [number, number, number, number, number][] {
  const rand = seededRandom(seed)
  const out: [number, number, number, number, number][] = []
  for (let i = 0; i < n; i++) {
    const level = Math.floor(rand() * slide.metadata.levels.length)
    const l = slide.metadata.levels[level]!
    const w = 1 + Math.floor(rand() * Math.min(300, l.width))
    const h = 1 + Math.floor(rand() * Math.min(300, l.height))
    // allow some overhang past the right/bottom edge (transparent there)
    const lx = Math.floor(rand() * (l.width + 40)) - 20
    const ly = Math.floor(rand() * (l.height + 40)) - 20
    out.push([Math.round(lx * l.downsample), Math.round(ly * l.downsample), level, w, h])
  }
  return out
}

describe.skipIf(!availability.available)('npm readers vs OpenSlide', () => {
  const dir = tempDir('parity-')
  // sizes with integer downsamples (OpenSlide resamples sub-pixel level offsets); Philips also at an odd size,
  // where its levels are padded to whole tiles and the downsample comes from per-level pixel spacing
  const formats: [SynthFormat, number, number][] = [
    ['generic-tiff', W, H],
    ['bigtiff', W, H],
    ['svs', W, H],
    ['svs-j2k-rgb', W, H],
    ['svs-j2k-ycc', W, H],
    ['ome-tiff', W, H],
    ['philips', W, H],
    ['philips', 1500, 1000]
  ]

  for (const [format, width, height] of formats) {
    it(`${format} ${width}x${height}: metadata, associated images and pixels equal OpenSlide's`, async () => {
      const info = await writeTestSlide({ path: join(dir, `p-${format}-${width}.tif`), format, width, height, seed: 21, mpp: 0.2527 })
      const ours = await openSlide(info.path)
      const ref = new OpenSlideHandle(info.path)
      try {
        const refLevels = ref.info.levels
        const ourLevels = ours.metadata.levels.map((l) => ({ width: l.width, height: l.height, downsample: l.downsample }))
        // OpenSlide reads OME-TIFF as generic-tiff with level 0 only (no SubIFD pyramid): compare that level
        expect(ourLevels.slice(0, refLevels.length)).toEqual(refLevels)
        if (format !== 'ome-tiff') expect(ourLevels.length).toBe(refLevels.length)
        const refMpp = ref.info.properties['openslide.mpp-x']
        if (refMpp !== undefined) expect(ours.metadata.mppX).toBeCloseTo(Number(refMpp), 6)
        const refPower = ref.info.properties['openslide.objective-power']
        if (refPower !== undefined) expect(ours.metadata.objectivePower).toBe(Number(refPower))
        expect(ours.metadata.associatedImages).toEqual(Object.keys(ref.info.associated).sort())
        for (const name of ours.metadata.associatedImages) {
          const a = await ours.readAssociatedImage(name)
          const b = ref.readAssociated(name)
          expect([a.width, a.height]).toEqual([b.width, b.height])
          expect(maxDiff(a.data, b.data)).toBeLessThanOrEqual(format === 'philips' ? 2 : 0)
        }
        const tolerance = format.includes('j2k') ? 2 : 0
        const regions = randomRegions(ours, 16, format.length).filter(([, , level]) => level < refLevels.length)
        let worst = 0
        for (const [x, y, level, w, h] of regions) {
          const a = await ours.readRegion(x, y, level, w, h)
          worst = Math.max(worst, maxDiff(a.data, ref.readRegion(x, y, level, w, h)))
        }
        console.log(`[slides parity] ${format} ${width}x${height}: ${regions.length} regions, max |diff| ${worst}`)
        expect(worst).toBeLessThanOrEqual(tolerance)
      } finally {
        ref.close()
        await ours.close()
      }
    })
  }

  it('DICOM (TILED_FULL and TILED_SPARSE) equals the source tiles', async () => {
    const tiff = await writeTestSlide({ path: join(dir, 'src.tif'), format: 'generic-tiff', width: W, height: H, seed: 5 })
    const full = await writeTestSlide({ path: join(dir, 'dcm-full'), format: 'dicom', width: W, height: H, seed: 5 })
    const sparse = await writeTestSlide({ path: join(dir, 'dcm-sparse'), format: 'dicom-sparse', width: W, height: H, seed: 5 })
    // same raster, tile size and JPEG settings → the same encoded tiles as the TIFF
    const ref = await openSlide(tiff.path)
    const a = await openSlide(full.path)
    const b = await openSlide(join(sparse.path, 'level-0.dcm'))
    try {
      expect(a.metadata.vendor).toBe('dicom')
      expect(a.metadata.levels).toEqual(ref.metadata.levels)
      expect(b.metadata.levels).toEqual(ref.metadata.levels)
      expect(a.metadata.mppX).toBeCloseTo(0.499, 6)
      for (const [x, y, level, w, h] of randomRegions(ref, 16, 77)) {
        const r = await ref.readRegion(x, y, level, w, h)
        expect(maxDiff((await a.readRegion(x, y, level, w, h)).data, r.data)).toBe(0)
        expect(maxDiff((await b.readRegion(x, y, level, w, h)).data, r.data)).toBe(0)
      }
      expect((await b.readAssociatedImage('label')).width).toBe(300)
    } finally {
      await Promise.all([ref.close(), a.close(), b.close()])
    }
  })

  describe('OpenSlide host process', () => {
    let path = ''
    beforeAll(async () => {
      path = (await writeTestSlide({ path: join(dir, 'host.svs'), format: 'svs', width: 1024, height: 768, seed: 2 })).path
    })
    afterAll(() => openSlideHost().stop())

    it('serves the same pixels as the npm reader and survives a host crash', async () => {
      const viaHost = await openSlide(path, { prefer: 'openslide' })
      const ours = await openSlide(path)
      expect(viaHost.metadata.reader).toBe('openslide')
      expect(viaHost.metadata.vendor).toBe('aperio')
      const a = await viaHost.readRegion(100, 200, 0, 224, 224)
      expect(maxDiff(a.data, (await ours.readRegion(100, 200, 0, 224, 224)).data)).toBe(0)
      // crash the C side: in-flight requests fail with a SlideError, the app process lives on
      await expect(openSlideHost().request({ op: 'crash-for-test' })).rejects.toThrow(/host process died/)
      // next read starts a fresh host and re-opens the slide transparently
      const again = await viaHost.readRegion(100, 200, 0, 224, 224)
      expect(maxDiff(again.data, a.data)).toBe(0)
      const aborted = new AbortController()
      aborted.abort()
      await expect(viaHost.readRegion(0, 0, 0, 64, 64, aborted.signal)).rejects.toBeInstanceOf(SlideError)
      await viaHost.close()
      await ours.close()
    })

    it('kills a host that stops answering', async () => {
      const host = new OpenSlideHost()
      host.requestTimeoutMs = 300
      await expect(host.request({ op: 'hang-for-test', ms: 20_000 })).rejects.toThrow(/host process died \(SIGKILL\)/)
      host.stop()
    })
  })
})
