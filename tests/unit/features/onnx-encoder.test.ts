// ONNX encoder: outputs match the PyTorch reference of the committed tiny model; malformed files give clear errors.
import { describe, expect, it } from 'vitest'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { openOnnxEncoder } from '../../../src-main/interop/onnx-encoder'
import { toNchwBatch } from '../../../src-main/models/preprocess'
import { tempDir } from '../../helpers/tmp'

const fixtures = join(__dirname, '..', '..', 'fixtures', 'models')
const model = join(fixtures, 'tiny-encoder.onnx')

function fixedInput(b: number, size = 32): Float32Array {
  const x = new Float32Array(b * 3 * size * size)
  let i = 0
  for (let n = 0; n < b; n++)
    for (let c = 0; c < 3; c++) for (let h = 0; h < size; h++) for (let w = 0; w < size; w++) x[i++] = Math.sin(0.01 * (n * 7919 + c * 1013 + h * 37 + w))
  return x
}

describe('ONNX encoder', () => {
  it('matches the PyTorch reference outputs (tiny model, batch of 2)', async () => {
    const enc = await openOnnxEncoder(model, { provider: 'auto' })
    expect(enc.inputSize).toBe(32)
    expect(enc.outputDim).toBe(24)
    expect(enc.backend).toMatch(/^onnxruntime-/)
    // auto mode tries CUDA; where it is not usable the reason is reported, never silent
    if (enc.backend === 'onnxruntime-cpu') expect(enc.notes.join(' ')).toMatch(/CUDA/)
    const got = await enc.encode(fixedInput(2), 2)
    const expected = (JSON.parse(readFileSync(join(fixtures, 'tiny-encoder.expected.json'), 'utf8')) as { features: number[][] }).features.flat()
    expect(got.length).toBe(expected.length)
    const scale = Math.max(...expected.map(Math.abs))
    expected.forEach((e, i) => expect(Math.abs((got[i] as number) - e)).toBeLessThanOrEqual(1e-4 * scale))
    await expect(enc.encode(new Float32Array(5), 1)).rejects.toThrow(/expected 3072/)
    await enc.close()
  })

  it('preprocesses RGBA patches (white background, resize, mean/std) into NCHW', () => {
    const img = { width: 2, height: 2, data: Uint8Array.from([255, 0, 0, 255, 0, 255, 0, 255, 0, 0, 255, 255, 0, 0, 0, 0]) }
    const out = toNchwBatch([img], { inputSize: 2, mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] })
    // red channel plane: pixel0 red=1 → 1; pixel1 → -1; pixel2 → -1; pixel3 transparent → white → 1
    expect(Array.from(out.subarray(0, 4))).toEqual([1, -1, -1, 1])
    const big = toNchwBatch([img], { inputSize: 4, mean: [0, 0, 0], std: [1, 1, 1] })
    expect(big.length).toBe(3 * 16)
    expect(big[0]).toBeCloseTo(1)
  })

  it('rejects missing, empty and malformed files with the file named', async () => {
    const dir = tempDir()
    await expect(openOnnxEncoder(join(dir, 'none.onnx'))).rejects.toThrow(/none\.onnx: file not found/)
    writeFileSync(join(dir, 'empty.onnx'), '')
    await expect(openOnnxEncoder(join(dir, 'empty.onnx'))).rejects.toThrow(/empty\.onnx: file is empty/)
    writeFileSync(join(dir, 'junk.onnx'), Buffer.from('this is not a protobuf at all \u0000\u0001\u0002'))
    await expect(openOnnxEncoder(join(dir, 'junk.onnx'))).rejects.toThrow(/junk\.onnx: not a loadable ONNX model/)
    const bytes = readFileSync(model)
    writeFileSync(join(dir, 'trunc.onnx'), bytes.subarray(0, Math.floor(bytes.length / 2)))
    await expect(openOnnxEncoder(join(dir, 'trunc.onnx'))).rejects.toThrow(/trunc\.onnx: /)
  })
})
