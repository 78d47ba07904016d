// BatchNorm num_batches_tracked counters are written as I64 (PyTorch's own files carry int64), float tensors as asked.
import { describe, expect, it } from 'vitest'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { readSafetensors, writeSafetensors } from '../../../src-main/interop/safetensors'
import { createModel } from '../../../src-main/ml/models/zoo'
import { loadSafetensorsFile, saveSafetensorsFile } from '../../../src-main/ml/weights'
import { encodeSafetensors } from '../../../src-main/ml/mcm/export'
import { tempDir } from '../../helpers/tmp'

const header = (buf: Uint8Array): Record<string, { dtype: string; data_offsets: [number, number] }> =>
  JSON.parse(new TextDecoder().decode(buf.subarray(8, 8 + Number(new DataView(buf.buffer, buf.byteOffset).getBigUint64(0, true))))) as Record<
    string,
    { dtype: string; data_offsets: [number, number] }
  >

describe('safetensors BatchNorm counters', () => {
  it('writes num_batches_tracked as I64 and floats as the requested dtype, and reads them back', () => {
    const t = { 'bn.num_batches_tracked': { shape: [], data: Float32Array.from([7]) }, 'bn.weight': { shape: [2], data: Float32Array.from([1, 2]) } }
    for (const dtype of ['F32', 'F16'] as const) {
      const buf = writeSafetensors(t, { dtype })
      const h = header(buf)
      expect(h['bn.num_batches_tracked']).toMatchObject({ dtype: 'I64' })
      expect(h['bn.num_batches_tracked']!.data_offsets[1] - h['bn.num_batches_tracked']!.data_offsets[0]).toBe(8)
      expect(h['bn.weight']).toMatchObject({ dtype })
      const back = readSafetensors(buf)
      expect(back.dtypes.get('bn.num_batches_tracked')).toBe('I64')
      expect(back.tensors.get('bn.num_batches_tracked')?.data[0]).toBe(7)
    }
    expect(() => writeSafetensors({ 'x.num_batches_tracked': { shape: [], data: Float32Array.from([0.5]) } })).toThrow(/x\.num_batches_tracked/)
  })

  it('a zoo model saved by Tessera carries I64 counters and loads again', async () => {
    const file = join(tempDir(), 'm.safetensors')
    const model = createModel('smallcnn', { seed: 1, width: 8, depth: 3, inputSize: 32 })
    await saveSafetensorsFile(model, file)
    const h = header(new Uint8Array(readFileSync(file)))
    const counters = Object.keys(h).filter((n) => n.endsWith('num_batches_tracked'))
    expect(counters.length).toBeGreaterThan(0)
    for (const n of counters) expect(h[n]?.dtype).toBe('I64')
    expect(Object.entries(h).filter(([n, v]) => n !== '__metadata__' && !n.endsWith('num_batches_tracked') && v.dtype !== 'F32')).toEqual([])
    expect(loadSafetensorsFile(createModel('smallcnn', { seed: 2, width: 8, depth: 3, inputSize: 32 }), file).ignored).toEqual([])
    expect(header(encodeSafetensors({ 'a.num_batches_tracked': { shape: [], data: Float32Array.from([3]) } }, { format: 'pt' }))['a.num_batches_tracked']?.dtype).toBe('I64')
  })
})
