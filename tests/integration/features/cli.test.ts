// CLI door of the features room: model import, embed (registered model = direct encode), backend report.
// Kept to three CLI processes (each starts tsx); refusals are tested through the API in tests/unit/features.
import { describe, expect, it } from 'vitest'
import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { promisify } from 'node:util'
import sharp from 'sharp'
import { openOnnxEncoder } from '../../../src-main/interop/onnx-encoder'
import { toNchwBatch } from '../../../src-main/models/preprocess'
import { tempDir } from '../../helpers/tmp'

const run = promisify(execFile)
const root = join(__dirname, '..', '..', '..')
const onnxFile = join(root, 'tests', 'fixtures', 'models', 'tiny-encoder.onnx')

async function tessera(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run(process.execPath, [join(root, 'bin', 'tessera.mjs'), ...args], { cwd: root, maxBuffer: 1 << 24 })
    return { code: 0, stdout: r.stdout, stderr: r.stderr }
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string }
    return { code: x.code, stdout: x.stdout, stderr: x.stderr }
  }
}

describe('tessera model / embed / backend', () => {
  it('embeds a patch with a registered ONNX model exactly as a direct encode with its manifest', async () => {
    const dir = tempDir()
    const db = join(dir, 't.db')
    const imp = await tessera(['--db', db, 'model', 'import', onnxFile, '--name', 'tiny', '--mean', '0.5,0.5,0.5', '--std', '0.25,0.25,0.25', '--json'])
    expect(imp.code).toBe(0)
    expect(JSON.parse(imp.stdout)).toMatchObject({ name: 'tiny', manifest: { inputSize: 32, outputDim: 24 } })

    const png = join(dir, 'patch.png')
    const raw = Buffer.alloc(40 * 48 * 3).map((_, i) => (i * 37) % 256)
    await sharp(raw, { raw: { width: 40, height: 48, channels: 3 } }).png().toFile(png)
    const emb = await tessera(['--db', db, 'embed', '--model', 'tiny', '--image', png, '--json'])
    expect(emb.code).toBe(0)
    const out = JSON.parse(emb.stdout) as { dim: number; vector: number[]; backend: string }
    expect(out).toMatchObject({ dim: 24, backend: 'onnxruntime-cpu' })

    const { data, info } = await sharp(png).ensureAlpha().raw().toBuffer({ resolveWithObject: true })
    const enc = await openOnnxEncoder(onnxFile)
    const direct = await enc.encode(toNchwBatch([{ width: info.width, height: info.height, data: new Uint8Array(data) }], { inputSize: 32, mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25] }), 1)
    await enc.close()
    out.vector.forEach((v, i) => expect(Math.abs(v - (direct[i] as number))).toBeLessThan(1e-6))

  })

  it('reports compute backends with reasons', async () => {
    const r = await tessera(['backend', '--json'])
    expect(r.code).toBe(0)
    const rep = JSON.parse(r.stdout) as { tfjs: { chosen: string; found: { available: boolean; reason: string }[] }; onnxruntime: { providers: { name: string; usable: boolean; reason: string }[] } }
    expect(rep.tfjs.found.every((f) => f.reason.length > 0)).toBe(true)
    expect(rep.tfjs.found.some((f) => f.available)).toBe(true)
    expect(rep.onnxruntime.providers.find((p) => p.name === 'cpu')).toMatchObject({ usable: true })
    expect(rep.onnxruntime.providers.find((p) => p.name === 'cuda')?.reason.length).toBeGreaterThan(0)
  })
})
