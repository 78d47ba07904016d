// HDF5 interop: TRIDENT export → isolated import round trip, layout detection (CLAM, STAMP µm), malformed inputs.
import { describe, expect, it } from 'vitest'
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import h5wasm from 'h5wasm/node'
import { readFeatureFileUnsafe, tridentPath, writeTridentFile, type TridentAttrs } from '../../../src-main/interop/hdf5'
import { readFeatureFile } from '../../../src-main/interop/hdf5-isolated'
import { tempDir } from '../../helpers/tmp'

const attrs: TridentAttrs = {
  patchSize: 224,
  patchSizeLevel0: 448,
  overlap: 0,
  targetMagnification: 20,
  level0Magnification: 40,
  level0Width: 4000,
  level0Height: 3000,
  name: 'slide A',
  encoder: 'tiny-onnx',
  mpp: 0.5,
  weightHash: 'ab'.repeat(32),
  appVersion: '0.1.0'
}

describe('HDF5 feature files', () => {
  it('exports TRIDENT layout atomically and reads it back in the isolated reader', async () => {
    const root = tempDir()
    const file = tridentPath(root, attrs)
    expect(file).toBe(join(root, '20x_224px_0px_overlap', 'features_tiny-onnx', 'slide_A.h5'))
    mkdirSync(dirname(file), { recursive: true })
    const features = Float32Array.from({ length: 5 * 3 }, (_, i) => i * 0.25 - 1)
    const coords = [0, 0, 448, 0, 896, 0, 0, 448, 448, 448]
    await writeTridentFile(file, features, 3, coords, attrs)
    expect(readdirSync(dirname(file))).toEqual(['slide_A.h5']) // no temp file left
    const back = await readFeatureFile(file)
    expect(back).toMatchObject({ layout: 'trident', dim: 3, count: 5, coordsUnit: 'px' })
    expect(Array.from(back.features)).toEqual(Array.from(features))
    expect(Array.from(back.coords)).toEqual(coords)
    // a reader that does not answer in time is killed and reported
    await expect(readFeatureFile(file, { timeoutMs: 1 })).rejects.toThrow(/slide_A\.h5: reading took longer than/)
    expect(back.attrs).toMatchObject({ patch_size: 224, patch_size_level0: 448, overlap: 0, name: 'slide A', encoder: 'tiny-onnx', mpp: 0.5, level0_width: 4000 })
  })

  it('reads CLAM files (no TRIDENT attributes) and STAMP files (feats + µm coords)', async () => {
    await h5wasm.ready
    const dir = tempDir()
    const clam = new h5wasm.File(join(dir, 'clam.h5'), 'w')
    clam.create_dataset({ name: 'features', data: new Float32Array([1, 2, 3, 4]), shape: [2, 2] })
    clam.create_dataset({ name: 'coords', data: new Int32Array([0, 0, 256, 0]), shape: [2, 2] })
    clam.close()
    const stamp = new h5wasm.File(join(dir, 'stamp.h5'), 'w')
    stamp.create_dataset({ name: 'feats', data: new Float32Array([1, 2, 3, 4, 5, 6]), shape: [3, 2] })
    const c = stamp.create_dataset({ name: 'coords', data: new Float64Array([0, 0, 112, 0, 0, 112]), shape: [3, 2] })
    c.create_attribute('unit', 'um')
    stamp.close()
    // in-process parse (same code the isolated reader runs) to save a process start
    expect(await readFeatureFileUnsafe(join(dir, 'clam.h5'))).toMatchObject({ layout: 'clam', count: 2, coordsUnit: 'px' })
    const s = await readFeatureFile(join(dir, 'stamp.h5'))
    expect(s).toMatchObject({ layout: 'stamp', count: 3, dim: 2, coordsUnit: 'um' })
    expect(Array.from(s.coords)).toEqual([0, 0, 112, 0, 0, 112])
  })

  it('gives clear errors for malformed files', async () => {
    await h5wasm.ready
    const dir = tempDir()
    writeFileSync(join(dir, 'text.h5'), 'hello, not hdf5')
    await expect(readFeatureFile(join(dir, 'text.h5'))).rejects.toThrow(/text\.h5: not an HDF5 file/)
    await expect(readFeatureFile(join(dir, 'missing.h5'))).rejects.toThrow(/missing\.h5: file not found/)
    const bad = new h5wasm.File(join(dir, 'shape.h5'), 'w')
    bad.create_dataset({ name: 'features', data: new Float32Array([1, 2, 3, 4]), shape: [2, 2] })
    bad.create_dataset({ name: 'coords', data: new Int32Array([0, 0, 1, 1, 2, 2]), shape: [3, 2] })
    bad.close()
    await expect(readFeatureFileUnsafe(join(dir, 'shape.h5'))).rejects.toThrow(/shape\.h5: "coords" has shape \[3,2\], expected \[2,2\]/)
    const none = new h5wasm.File(join(dir, 'none.h5'), 'w')
    none.create_dataset({ name: 'other', data: new Float32Array([1]), shape: [1] })
    none.close()
    await expect(readFeatureFileUnsafe(join(dir, 'none.h5'))).rejects.toThrow(/no "features" .* found: other/)
    // truncated: a valid file cut in half, through the isolated reader (the error crosses the process boundary)
    const good = join(dir, 'shape.h5')
    const bytes = readFileSync(good)
    writeFileSync(join(dir, 'trunc.h5'), bytes.subarray(0, Math.floor(bytes.length / 2)))
    await expect(readFeatureFile(join(dir, 'trunc.h5'))).rejects.toThrow(/trunc\.h5: /)
  })
})
