// `tessera embed` of a loose ONNX file whose input is dynamic: the input size (and mean/std) come from the export
// bundle's manifest.json beside it; `tessera --db X --help` prints the usage. In-process main(), no tsx start.
import { describe, expect, it } from 'vitest'
import { createHash } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import sharp from 'sharp'
import { main } from '../../../src-main/cli/main'
import { openOnnxEncoder } from '../../../src-main/interop/onnx-encoder'
import { toNchwBatch } from '../../../src-main/models/preprocess'
import { withDynamicSpatialInput } from '../../helpers/onnx-dynamic'
import { tempDir } from '../../helpers/tmp'

const onnxFile = join(__dirname, '..', '..', 'fixtures', 'models', 'tiny-encoder.onnx')

async function tessera(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = ''
  let stderr = ''
  const out = process.stdout.write.bind(process.stdout)
  const err = process.stderr.write.bind(process.stderr)
  process.stdout.write = ((chunk: string | Uint8Array) => ((stdout += String(chunk)), true)) as typeof process.stdout.write
  process.stderr.write = ((chunk: string | Uint8Array) => ((stderr += String(chunk)), true)) as typeof process.stderr.write
  try {
    return { code: await main(args), stdout, stderr }
  } finally {
    process.stdout.write = out
    process.stderr.write = err
  }
}

describe('tessera CLI details', () => {
  it('prints the usage for --help after global options', async () => {
    const r = await tessera('--db', join(tempDir(), 'x.db'), '--help')
    expect(r.stderr).not.toMatch(/unknown command/)
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/Usage: tessera <command>/)
  })

  it('embeds with a dynamic-input ONNX model using the input size and mean/std of the manifest beside it', async () => {
    const dir = tempDir()
    const dyn = join(dir, 'model.onnx')
    const bytes = withDynamicSpatialInput(new Uint8Array(readFileSync(onnxFile)))
    writeFileSync(dyn, bytes)
    await expect(openOnnxEncoder(dyn)).rejects.toThrow(/input size is dynamic/) // the rewrite really made it dynamic
    const png = join(dir, 'patch.png')
    const raw = Buffer.alloc(40 * 48 * 3).map((_, i) => (i * 37) % 256)
    await sharp(raw, { raw: { width: 40, height: 48, channels: 3 } }).png().toFile(png)

    const manifest = {
      format: 'tessera-model/1', name: 'tiny', arch: 'onnx', weightsFormat: 'onnx', weightsFile: 'model.onnx',
      weightSha256: createHash('sha256').update(bytes).digest('hex'), weightBytes: bytes.length, inputSize: 32,
      mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25], outputDim: 24, mpp: 0.5, weightNaming: 'onnx', options: {},
      source: { file: 'tiny-encoder.onnx', importedAt: '2026-01-01T00:00:00Z' }
    }
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest))
    const r = await tessera('embed', '--model', dyn, '--image', png, '--json')
    expect(r.stderr).not.toMatch(/dynamic/)
    expect(r.code).toBe(0)
    const got = JSON.parse(r.stdout) as { inputSize: number; vector: number[] }
    expect(got.inputSize).toBe(32)
    const { data, info } = await sharp(png).ensureAlpha().raw().toBuffer({ resolveWithObject: true })
    const enc = await openOnnxEncoder(onnxFile)
    const direct = await enc.encode(toNchwBatch([{ width: info.width, height: info.height, data: new Uint8Array(data) }], { inputSize: 32, mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25] }), 1)
    await enc.close()
    got.vector.forEach((v, i) => expect(Math.abs(v - (direct[i] as number))).toBeLessThan(1e-5))

    // a manifest of other weights is not used (the size must then be given)
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify({ ...manifest, weightSha256: 'f'.repeat(64) }))
    const other = await tessera('embed', '--model', dyn, '--image', png, '--json')
    expect(other.code).not.toBe(0)
    expect(other.stderr).toMatch(/describes other weights/)
    expect(other.stderr).toMatch(/input size is dynamic/)
  })
})
