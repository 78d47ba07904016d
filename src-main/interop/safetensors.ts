// safetensors reader/writer (own code, no dependency): bounds-checked parse of the 8-byte little-endian header length,
// JSON header (capped at 16 MiB), and tensor data offsets (inside the buffer, contiguous, no gaps/overlaps/trailing bytes).
// Dtypes F32/F16/BF16 are decoded to Float32Array; writing emits F32 (or F16/BF16 on request), sorted by name as the
// reference implementation does. Pickle checkpoints (.pth/.pt/.ckpt) are refused with a conversion recipe.
// Format: https://github.com/huggingface/safetensors (header: {name: {dtype, shape, data_offsets: [begin, end]}, __metadata__}).

export type SafetensorsDtype = 'F32' | 'F16' | 'BF16'
/** I64 is read (converted to float) and written for PyTorch's BatchNorm `num_batches_tracked` counters only. */
export type ReadableDtype = SafetensorsDtype | 'I64'
export const HEADER_CAP_BYTES = 16 * 1024 * 1024

export interface NamedTensor {
  shape: number[]
  data: Float32Array
}

export interface SafetensorsFile {
  tensors: Map<string, NamedTensor>
  /** dtype each tensor had on disk */
  dtypes: Map<string, ReadableDtype>
  metadata: Record<string, string>
}

export class SafetensorsError extends Error {
  constructor(source: string, message: string) {
    super(`${source}: ${message}`)
    this.name = 'SafetensorsError'
  }
}

const bytesPerElement: Record<ReadableDtype, number> = { F32: 4, F16: 2, BF16: 2, I64: 8 }

/** Message for pickle-based checkpoints, which can run arbitrary code on load and are never read. */
export function pickleRefusal(file: string): string {
  return `${file}: PyTorch pickle checkpoints (.pth/.pt/.ckpt/.bin) are not loaded (unpickling can run arbitrary code). ` +
    'Convert it to safetensors first, e.g.: python -c "import torch; from safetensors.torch import save_file; ' +
    `sd = torch.load('${file}', map_location='cpu'); sd = sd.get('state_dict', sd); ` +
    `save_file({k: v.float().contiguous() for k, v in sd.items()}, 'model.safetensors')"`
}

export function isPickleName(file: string): boolean {
  return /\.(pth|pt|ckpt|pkl)$/i.test(file)
}

function f16ToF32(h: number): number {
  const sign = h & 0x8000 ? -1 : 1, exp = (h >> 10) & 0x1f, frac = h & 0x3ff
  if (exp === 0) return sign * frac * 2 ** -24
  if (exp === 31) return frac ? NaN : sign * Infinity
  return sign * (1 + frac / 1024) * 2 ** (exp - 15)
}

const f32Scratch = new Float32Array(1)
const u32Scratch = new Uint32Array(f32Scratch.buffer)

/** Round-to-nearest-even float32 → float16 bits. */
export function f32ToF16(v: number): number {
  f32Scratch[0] = v
  const x = u32Scratch[0] as number
  const sign = (x >>> 16) & 0x8000, exp = (x >>> 23) & 0xff, mant = x & 0x7fffff
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0)
  const e = exp - 127 + 15
  if (e >= 31) return sign | 0x7c00
  if (e <= 0) {
    if (e < -10) return sign
    const m = (mant | 0x800000) >>> (1 - e + 13)
    const rest = (mant | 0x800000) & ((1 << (1 - e + 13)) - 1), half = 1 << (1 - e + 12)
    return sign | (m + (rest > half || (rest === half && (m & 1)) ? 1 : 0))
  }
  const m = mant >>> 13, rest = mant & 0x1fff
  let out = sign | (e << 10) | m
  if (rest > 0x1000 || (rest === 0x1000 && (m & 1))) out += 1
  return out
}

/** Round-to-nearest-even float32 → bfloat16 bits. */
export function f32ToBf16(v: number): number {
  f32Scratch[0] = v
  const x = u32Scratch[0] as number
  if ((x & 0x7f800000) === 0x7f800000 && x & 0x7fffff) return (x >>> 16) | 0x40
  return ((x + 0x7fff + ((x >>> 16) & 1)) >>> 16) & 0xffff
}

function checkedElementCount(shape: unknown, name: string, source: string): number {
  if (!Array.isArray(shape)) throw new SafetensorsError(source, `tensor '${name}': shape is not an array`)
  let n = 1
  for (const d of shape) {
    if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0) throw new SafetensorsError(source, `tensor '${name}': bad dimension ${JSON.stringify(d)}`)
    n *= d
    if (!Number.isSafeInteger(n) || n > 2 ** 40) throw new SafetensorsError(source, `tensor '${name}': shape ${JSON.stringify(shape)} overflows`)
  }
  return n
}

export interface TensorEntry { name: string; dtype: ReadableDtype; shape: number[]; begin: number; end: number }

/** Where each tensor lies, validated against the file's size before any tensor byte is read. */
export interface SafetensorsLayout {
  entries: TensorEntry[]
  metadata: Record<string, string>
  /** file offset of the data section (8 + header length) */
  dataStart: number
}

/** Header length from the first 8 bytes, checked against the cap and the file size. */
export function safetensorsHeaderLength(first8: Uint8Array, fileBytes: number, source: string): number {
  if (fileBytes < 8 || first8.byteLength < 8) throw new SafetensorsError(source, `truncated: ${fileBytes} bytes, the 8-byte header length is missing`)
  const headerLen = new DataView(first8.buffer, first8.byteOffset, 8).getBigUint64(0, true)
  if (headerLen > BigInt(HEADER_CAP_BYTES)) throw new SafetensorsError(source, `header length ${headerLen} exceeds the ${HEADER_CAP_BYTES}-byte cap (corrupt or not safetensors)`)
  const hl = Number(headerLen)
  if (8 + hl > fileBytes) throw new SafetensorsError(source, `truncated: header says ${hl} bytes but the file has ${fileBytes - 8} after the length`)
  return hl
}

/**
 * Parses and validates the header (`head` holds at least the first 8 + header-length bytes) against a file of
 * `fileBytes`: dtypes, shapes, offsets inside the data section, contiguous, no trailing bytes. Reads no tensor data,
 * so a header declaring more than the file holds is refused before anything large is read or allocated.
 */
export function parseSafetensorsHeader(head: Uint8Array, fileBytes: number, source = 'safetensors'): SafetensorsLayout {
  const hl = safetensorsHeaderLength(head, fileBytes, source)
  if (head.byteLength < 8 + hl) throw new SafetensorsError(source, `header cut short (${head.byteLength - 8} of ${hl} bytes)`)
  let header: unknown
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(head.subarray(8, 8 + hl)))
  } catch (err) {
    throw new SafetensorsError(source, `header is not valid UTF-8 JSON (${(err as Error).message})`)
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) throw new SafetensorsError(source, 'header is not a JSON object')
  const dataStart = 8 + hl, dataLen = fileBytes - dataStart
  const entries: TensorEntry[] = []
  let metadata: Record<string, string> = {}
  for (const [name, raw] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof raw !== 'object' || raw === null || Object.values(raw).some((v) => typeof v !== 'string')) throw new SafetensorsError(source, '__metadata__ must map strings to strings')
      metadata = raw as Record<string, string>
      continue
    }
    const info = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown }
    if (typeof info !== 'object' || info === null) throw new SafetensorsError(source, `tensor '${name}': entry is not an object`)
    if (info.dtype !== 'F32' && info.dtype !== 'F16' && info.dtype !== 'BF16' && info.dtype !== 'I64') {
      throw new SafetensorsError(source, `tensor '${name}': dtype ${JSON.stringify(info.dtype)} is not supported (F32, F16, BF16; I64 counters)`)
    }
    const count = checkedElementCount(info.shape, name, source)
    const offs = info.data_offsets
    if (!Array.isArray(offs) || offs.length !== 2 || !offs.every((o) => typeof o === 'number' && Number.isSafeInteger(o) && o >= 0)) {
      throw new SafetensorsError(source, `tensor '${name}': data_offsets must be two non-negative integers`)
    }
    const [begin, end] = offs as [number, number]
    if (end < begin) throw new SafetensorsError(source, `tensor '${name}': data_offsets end ${end} < begin ${begin}`)
    if (end > dataLen) throw new SafetensorsError(source, `tensor '${name}': data_offsets [${begin}, ${end}] run past the data section (${dataLen} bytes; file truncated?)`)
    const want = count * bytesPerElement[info.dtype]
    if (end - begin !== want) throw new SafetensorsError(source, `tensor '${name}': ${end - begin} bytes for ${info.dtype} ${JSON.stringify(info.shape)} (expected ${want})`)
    entries.push({ name, dtype: info.dtype, shape: info.shape as number[], begin, end })
  }
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end)
  let cursor = 0
  for (const e of entries) {
    if (e.begin < cursor) throw new SafetensorsError(source, `tensor '${e.name}': data_offsets [${e.begin}, ${e.end}] overlap the previous tensor (ends at ${cursor})`)
    if (e.begin > cursor) throw new SafetensorsError(source, `tensor '${e.name}': gap of ${e.begin - cursor} bytes before it (offsets must be contiguous)`)
    cursor = e.end
  }
  if (cursor !== dataLen) throw new SafetensorsError(source, `${dataLen - cursor} trailing bytes after the last tensor`)
  return { entries, metadata, dataStart }
}

/** Decodes one tensor from `bytes`, which hold exactly its data_offsets range. */
export function decodeTensor(e: TensorEntry, bytes: Uint8Array): NamedTensor {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const count = e.shape.reduce((a, b) => a * b, 1)
  const data = new Float32Array(count)
  if (e.dtype === 'F32') for (let i = 0; i < count; i++) data[i] = view.getFloat32(4 * i, true)
  else if (e.dtype === 'F16') for (let i = 0; i < count; i++) data[i] = f16ToF32(view.getUint16(2 * i, true))
  else if (e.dtype === 'I64') for (let i = 0; i < count; i++) data[i] = Number(view.getBigInt64(8 * i, true))
  else {
    const u = new Uint32Array(1), f = new Float32Array(u.buffer)
    for (let i = 0; i < count; i++) { u[0] = view.getUint16(2 * i, true) << 16; data[i] = f[0] as number }
  }
  return { shape: [...e.shape], data }
}

/** Parses a safetensors buffer. `source` names the file in every error. */
export function readSafetensors(buf: Uint8Array, source = 'safetensors'): SafetensorsFile {
  const layout = parseSafetensorsHeader(buf, buf.byteLength, source)
  const tensors = new Map<string, NamedTensor>(), dtypes = new Map<string, ReadableDtype>()
  for (const e of layout.entries) {
    tensors.set(e.name, decodeTensor(e, buf.subarray(layout.dataStart + e.begin, layout.dataStart + e.end)))
    dtypes.set(e.name, e.dtype)
  }
  return { tensors, dtypes, metadata: layout.metadata }
}

/** BatchNorm step counters: PyTorch stores them as int64 (torch.long), so they are written as I64 whatever `dtype`. */
export const isBatchCounterName = (name: string): boolean => name === 'num_batches_tracked' || name.endsWith('.num_batches_tracked')

/**
 * Serialises named tensors; names are sorted, data 8-byte aligned via header padding (spaces), as upstream does.
 * Float tensors are written as `dtype`; BatchNorm counters as I64 (non-negative integers, else an error naming the tensor).
 */
export function writeSafetensors(tensors: Map<string, NamedTensor> | Record<string, NamedTensor>, opts: { dtype?: SafetensorsDtype; metadata?: Record<string, string> } = {}): Uint8Array {
  const floatDtype = opts.dtype ?? 'F32'
  const dtypeOf = (name: string): ReadableDtype => (isBatchCounterName(name) ? 'I64' : floatDtype)
  const map = tensors instanceof Map ? tensors : new Map(Object.entries(tensors))
  const names = [...map.keys()].sort()
  const header: Record<string, unknown> = {}
  if (opts.metadata && Object.keys(opts.metadata).length) header['__metadata__'] = opts.metadata
  let offset = 0
  for (const name of names) {
    const t = map.get(name) as NamedTensor
    const count = t.shape.reduce((a, b) => a * b, 1)
    if (count !== t.data.length) throw new Error(`writeSafetensors: tensor '${name}' has ${t.data.length} values for shape ${JSON.stringify(t.shape)}`)
    const dtype = dtypeOf(name)
    if (dtype === 'I64' && t.data.some((v) => !Number.isInteger(v) || v < 0)) throw new Error(`writeSafetensors: counter '${name}' holds a value that is not a non-negative integer`)
    const bytes = count * bytesPerElement[dtype]
    header[name] = { dtype, shape: t.shape, data_offsets: [offset, offset + bytes] }
    offset += bytes
  }
  let json = JSON.stringify(header)
  const pad = (8 - ((Buffer.byteLength(json) + 8) % 8)) % 8
  json += ' '.repeat(pad)
  const headerBytes = new TextEncoder().encode(json)
  const out = new Uint8Array(8 + headerBytes.length + offset)
  const view = new DataView(out.buffer)
  view.setBigUint64(0, BigInt(headerBytes.length), true)
  out.set(headerBytes, 8)
  let p = 8 + headerBytes.length
  for (const name of names) {
    const { data } = map.get(name) as NamedTensor
    const dtype = dtypeOf(name)
    if (dtype === 'I64') { for (let i = 0; i < data.length; i++, p += 8) view.setBigInt64(p, BigInt(data[i] as number), true) }
    else if (dtype === 'F32') { for (let i = 0; i < data.length; i++, p += 4) view.setFloat32(p, data[i] as number, true) }
    else if (dtype === 'F16') { for (let i = 0; i < data.length; i++, p += 2) view.setUint16(p, f32ToF16(data[i] as number), true) }
    else { for (let i = 0; i < data.length; i++, p += 2) view.setUint16(p, f32ToBf16(data[i] as number), true) }
  }
  return out
}
