// The slide CLI: slide info / tile / region on a file, grid with GeoJSON, project add with a bad file.
// Runs the CLI's main() in-process with stdout/stderr captured (a spawned tsx process costs seconds per command
// on the shared CI machine; tests/integration/cli covers the real bin/tessera.mjs entry).
import { beforeAll, describe, expect, it } from 'vitest'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import sharp from 'sharp'
import { tempDir } from '../../helpers/tmp'
import { writeTestSlide } from '../../../src-main/slides/synth/write-test-slide'
import { main } from '../../../src-main/cli/main'

async function tessera(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = ''
  let stderr = ''
  const out = process.stdout.write.bind(process.stdout)
  const err = process.stderr.write.bind(process.stderr)
  process.stdout.write = ((chunk: string | Uint8Array) => ((stdout += String(chunk)), true)) as typeof process.stdout.write
  process.stderr.write = ((chunk: string | Uint8Array) => ((stderr += String(chunk)), true)) as typeof process.stderr.write
  try {
    const code = await main(args)
    return { code, stdout, stderr }
  } finally {
    process.stdout.write = out
    process.stderr.write = err
  }
}

let dir: string
let svs: string

beforeAll(async () => {
  dir = tempDir('cli-slide-')
  svs = join(dir, 'one.svs')
  await writeTestSlide({ path: svs, format: 'svs', width: 2048, height: 1536, seed: 5 })
  writeFileSync(join(dir, 'broken.svs'), readFileSync(svs).subarray(0, 3000))
})

describe('tessera slide / grid / project add', () => {
  it('prints metadata, writes a Deep Zoom tile and a PNG region', async () => {
    const info = await tessera('slide', 'info', svs, '--json')
    expect(info.code).toBe(0)
    expect(JSON.parse(info.stdout)).toMatchObject({ vendor: 'aperio', width: 2048, height: 1536, reader: 'tiff' })

    const tile = await tessera('slide', 'tile', svs, '--level', '11', '--col', '1', '--row', '1', '--out', join(dir, 't.jpg'), '--json')
    expect(tile.code).toBe(0)
    expect(JSON.parse(tile.stdout).how).toBe('pass-through')
    expect((await sharp(join(dir, 't.jpg')).metadata()).width).toBe(256)

    const region = await tessera('slide', 'region', svs, '--x', '100', '--y', '200', '--level', '1', '--width', '64', '--height', '32', '--out', join(dir, 'r.png'), '--json')
    expect(region.code).toBe(0)
    const m = await sharp(join(dir, 'r.png')).metadata()
    expect([m.format, m.width, m.height, m.channels]).toEqual(['png', 64, 32, 3])

    const bad = await tessera('slide', 'tile', svs, '--level', '30', '--col', '0', '--row', '0', '--out', join(dir, 'x.jpg'))
    expect(bad.code).toBe(2)
    expect(bad.stderr).toMatch(/outside the Deep Zoom pyramid/)
  })

  it('computes the grid and writes QuPath GeoJSON', async () => {
    const out = join(dir, 'grid.geojson')
    const r = await tessera('grid', svs, '--mpp', '1', '--patch', '128', '--json', '--geojson', out)
    expect(r.code).toBe(0)
    const g = JSON.parse(r.stdout)
    expect(g.info.patchSizeLevel0).toBe(Math.round((128 * 1) / 0.499))
    expect(g.count).toBe(g.patches.x.length)
    const fc = JSON.parse(readFileSync(out, 'utf8'))
    expect(fc.type).toBe('FeatureCollection')
    expect(fc.features[0].properties.classification.name).toBe('Tissue')
    expect(fc.features.length).toBe(g.count + 1)
  })

  it('adds slides to a project, reporting the bad one', async () => {
    const db = join(dir, 't.db')
    expect((await tessera('--db', db, 'project', 'create', 'p')).code).toBe(0)
    const r = await tessera('--db', db, 'project', 'add', 'p', svs, join(dir, 'broken.svs'), '--json')
    expect(r.code).toBe(0)
    const res = JSON.parse(r.stdout)
    expect(res.added).toHaveLength(1)
    expect(res.failed[0].error).toContain('broken.svs')
    expect(r.stderr).toContain('broken.svs')
  })
})
