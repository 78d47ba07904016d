// Smaller CLI fixes of issue 17 item 15, run through the CLI's main() in-process (no process start per case):
// `project add` on a folder without slides fails clearly; `model import <bundle>` needs no --arch (the manifest has
// it); `grid --patch-size` is the name (as in `features … --patch-size`), `--patch` its alias; a truncated HDF5 file
// is reported as truncated, not with the library's "name not defined!".
import { describe, expect, it } from 'vitest'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { main } from '../../../src-main/cli/main'
import { writeTestSlide } from '../../../src-main/slides/synth/write-test-slide'
import { writeTridentFile } from '../../../src-main/interop/hdf5'
import { readFeatureFile } from '../../../src-main/interop/hdf5-isolated'
import { tempDir } from '../../helpers/tmp'

const onnxFile = join(__dirname, '..', '..', 'fixtures', 'models', 'tiny-encoder.onnx')

async function cli(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = ''
  let stderr = ''
  const out = process.stdout.write.bind(process.stdout)
  const err = process.stderr.write.bind(process.stderr)
  process.stdout.write = ((c: string | Uint8Array) => ((stdout += String(c)), true)) as typeof process.stdout.write
  process.stderr.write = ((c: string | Uint8Array) => ((stderr += String(c)), true)) as typeof process.stderr.write
  try {
    const code = await main(argv)
    return { code, stdout, stderr }
  } finally {
    process.stdout.write = out
    process.stderr.write = err
  }
}

describe('CLI small fixes', () => {
  const dir = tempDir('cli15-')
  const db = join(dir, 't.db')

  it('project add on a folder with no slide exits 1 and says so', async () => {
    expect((await cli('--db', db, 'project', 'create', 'P')).code).toBe(0)
    const empty = join(dir, 'not-slides')
    mkdirSync(empty)
    writeFileSync(join(empty, 'notes.txt'), 'hello')
    const r = await cli('--db', db, 'project', 'add', 'P', empty)
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/no slide added: none found in .*not-slides \(1 file\(s\) there are not slides\)/)
  })

  it('model import of an exported bundle takes its arch from the manifest', async () => {
    expect((await cli('--db', db, 'model', 'import', onnxFile, '--name', 'tiny')).code).toBe(0)
    const bundle = join(dir, 'bundle')
    expect((await cli('--db', db, 'model', 'export', 'tiny', '--format', 'onnx', '--out', bundle)).code).toBe(0)
    const r = await cli('--db', db, 'model', 'import', bundle, '--name', 'again', '--json')
    expect(r.code, r.stderr).toBe(0)
    expect(JSON.parse(r.stdout)).toMatchObject({ name: 'again', manifest: { arch: 'onnx' } })
    const clash = await cli('--db', db, 'model', 'import', bundle, '--name', 'third', '--arch', 'resnet18')
    expect(clash.code).toBe(1)
    expect(clash.stderr).toMatch(/manifest says arch "onnx" but resnet18 was given/)
  })

  it('grid takes --patch-size (and --patch as its alias)', async () => {
    const slide = join(dir, 's.tiff')
    await writeTestSlide({ path: slide, format: 'generic-tiff', width: 512, height: 512, seed: 3, mpp: 0.5 })
    const a = await cli('grid', slide, '--mpp', '1', '--patch-size', '64', '--json')
    expect(a.code, a.stderr).toBe(0)
    const b = await cli('grid', slide, '--mpp', '1', '--patch', '64', '--json')
    expect(b.code, b.stderr).toBe(0)
    expect(JSON.parse(a.stdout)).toEqual(JSON.parse(b.stdout))
    expect(JSON.stringify(JSON.parse(a.stdout))).toMatch(/"patchSize":64/)
    const both = await cli('grid', slide, '--patch-size', '64', '--patch', '32')
    expect(both.code).toBe(2)
  })

  it('a truncated HDF5 file is reported as truncated, without library noise', async () => {
    const good = join(dir, 'g.h5')
    const attrs = { patchSize: 224, patchSizeLevel0: 448, overlap: 0, targetMagnification: 20, level0Magnification: 40, level0Width: 4000, level0Height: 3000, name: 'a', encoder: 'tiny', mpp: 0.5, weightHash: 'ab', appVersion: '0' }
    await writeTridentFile(good, new Float32Array(200 * 8).fill(1), 8, new Array(400).fill(0), attrs)
    const bytes = readFileSync(good)
    const cut = join(dir, 'cut.h5')
    writeFileSync(cut, bytes.subarray(0, Math.floor(bytes.length / 2)))
    const err = await readFeatureFile(cut).then(
      () => null,
      (e: Error) => e.message
    )
    expect(err).toMatch(new RegExp(`cut\\.h5: truncated: the file is ${Math.floor(bytes.length / 2)} bytes but its HDF5 superblock says ${bytes.length}$`))
    expect(err).not.toMatch(/not defined/)
  })
})
