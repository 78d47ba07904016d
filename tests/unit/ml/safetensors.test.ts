// safetensors reader/writer: round trips in F32/F16/BF16 and clear errors for malformed files.
import { describe, expect, it } from 'vitest'
import { readSafetensors, writeSafetensors, isPickleName, pickleRefusal, HEADER_CAP_BYTES } from '../../../src-main/interop/safetensors'

/** Builds a raw safetensors buffer from a header object and a data section (to craft malformed files). */
function raw(header: unknown, data: Uint8Array, headerLenOverride?: bigint): Uint8Array {
  const h = new TextEncoder().encode(JSON.stringify(header))
  const out = new Uint8Array(8 + h.length + data.length)
  new DataView(out.buffer).setBigUint64(0, headerLenOverride ?? BigInt(h.length), true)
  out.set(h, 8)
  out.set(data, 8 + h.length)
  return out
}

describe('safetensors', () => {
  const tensors = {
    'conv1.weight': { shape: [2, 3, 1, 1], data: Float32Array.from([1, -2, 3.5, 0.25, -0.125, 65504, 1e-3, 7, 8, 9, 10, 11].slice(0, 6)) },
    'bn1.running_var': { shape: [3], data: Float32Array.from([1, 0.5, 2]) },
    scalar: { shape: [], data: Float32Array.from([42]) }
  }

  it('round-trips F32 exactly, with metadata and 8-byte aligned data', () => {
    const buf = writeSafetensors(tensors, { metadata: { arch: 'resnet18' } })
    const headerLen = Number(new DataView(buf.buffer).getBigUint64(0, true))
    expect((8 + headerLen) % 8).toBe(0)
    const back = readSafetensors(buf, 'x.safetensors')
    expect(back.metadata).toEqual({ arch: 'resnet18' })
    expect([...back.tensors.keys()].sort()).toEqual(Object.keys(tensors).sort())
    expect(back.tensors.get('conv1.weight')?.shape).toEqual([2, 3, 1, 1])
    expect([...(back.tensors.get('conv1.weight')?.data ?? [])]).toEqual([...tensors['conv1.weight'].data])
    expect(back.tensors.get('scalar')?.data[0]).toBe(42)
  })

  it('round-trips F16 and BF16 within their precision', () => {
    const f16 = readSafetensors(writeSafetensors(tensors, { dtype: 'F16' }))
    expect(f16.dtypes.get('conv1.weight')).toBe('F16')
    expect([...(f16.tensors.get('conv1.weight')?.data ?? [])]).toEqual([1, -2, 3.5, 0.25, -0.125, 65504])
    const bf = readSafetensors(writeSafetensors({ v: { shape: [3], data: Float32Array.from([1, 3.140625, -1000]) } }, { dtype: 'BF16' }))
    expect([...(bf.tensors.get('v')?.data ?? [])]).toEqual([1, 3.140625, -1000])
  })

  it('reads I64 counters (num_batches_tracked) as floats', () => {
    const data = new Uint8Array(8)
    new DataView(data.buffer).setBigInt64(0, 123n, true)
    const f = readSafetensors(raw({ 'bn1.num_batches_tracked': { dtype: 'I64', shape: [], data_offsets: [0, 8] } }, data))
    expect(f.tensors.get('bn1.num_batches_tracked')?.data[0]).toBe(123)
  })

  it('rejects a file shorter than the header length', () => {
    expect(() => readSafetensors(new Uint8Array(5), 'a.safetensors')).toThrow(/a\.safetensors: truncated/)
  })

  it('rejects a truncated data section', () => {
    const buf = writeSafetensors(tensors)
    expect(() => readSafetensors(buf.subarray(0, buf.length - 3), 'b.safetensors')).toThrow(/b\.safetensors: .*run past the data section/)
  })

  it('rejects a truncated header', () => {
    const buf = writeSafetensors(tensors)
    expect(() => readSafetensors(buf.subarray(0, 20))).toThrow(/truncated: header says/)
  })

  it('rejects a header above the 16 MiB cap without allocating it', () => {
    expect(() => readSafetensors(raw({}, new Uint8Array(0), BigInt(HEADER_CAP_BYTES + 1)))).toThrow(/exceeds the 16777216-byte cap/)
    expect(() => readSafetensors(raw({}, new Uint8Array(0), 2n ** 63n))).toThrow(/cap/)
  })

  it('rejects overlapping offsets, gaps and trailing bytes', () => {
    const d = new Uint8Array(8)
    expect(() => readSafetensors(raw({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, d)))
      .toThrow(/overlap/)
    expect(() => readSafetensors(raw({ a: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, d))).toThrow(/gap of 4 bytes/)
    expect(() => readSafetensors(raw({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, d))).toThrow(/4 trailing bytes/)
  })

  it('rejects unsupported dtypes, size mismatches, overflowing shapes and bad JSON', () => {
    const d = new Uint8Array(8)
    expect(() => readSafetensors(raw({ a: { dtype: 'U8', shape: [8], data_offsets: [0, 8] } }, d))).toThrow(/dtype "U8" is not supported/)
    expect(() => readSafetensors(raw({ a: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, d))).toThrow(/8 bytes for F32 \[3\] \(expected 12\)/)
    expect(() => readSafetensors(raw({ a: { dtype: 'F32', shape: [2 ** 30, 2 ** 30], data_offsets: [0, 8] } }, d))).toThrow(/overflows/)
    expect(() => readSafetensors(raw({ a: { dtype: 'F32', shape: [-1], data_offsets: [0, 8] } }, d))).toThrow(/bad dimension/)
    expect(() => readSafetensors(raw({ a: { dtype: 'F32', shape: [2], data_offsets: [8, 0] } }, d))).toThrow(/end 0 < begin 8/)
    const bad = raw({}, new Uint8Array(0))
    bad[8] = 0x7b; bad[9] = 0x7b
    expect(() => readSafetensors(bad)).toThrow(/not valid UTF-8 JSON/)
    expect(() => readSafetensors(raw([1, 2], new Uint8Array(0)))).toThrow(/not a JSON object/)
  })

  it('refuses pickle checkpoints with a conversion recipe', () => {
    expect(isPickleName('resnet.pth')).toBe(true)
    expect(isPickleName('model.ckpt')).toBe(true)
    expect(isPickleName('model.safetensors')).toBe(false)
    expect(pickleRefusal('resnet.pth')).toMatch(/save_file/)
  })
})
