// Rewrite an ONNX model so its graph input has symbolic H and W (dim_param) instead of fixed sizes: a tiny protobuf
// walk (ModelProto.graph 7 → GraphProto.input 11 → ValueInfoProto.type 2 → TypeProto.tensor_type 1 → shape 2 → dim 1).
// No protobuf library is installed; the wire format is varints and length-delimited fields.

interface Field {
  num: number
  wt: number
  /** payload: content for length-delimited fields, the encoded value bytes otherwise */
  raw: Uint8Array
}

function varint(b: Uint8Array, pos: number): [number, number] {
  let v = 0
  let mul = 1
  for (;;) {
    const byte = b[pos++] as number
    v += (byte & 0x7f) * mul
    mul *= 128
    if (byte < 0x80) return [v, pos]
  }
}

function encVarint(v: number): number[] {
  const out: number[] = []
  do {
    let byte = v % 128
    v = Math.floor(v / 128)
    if (v > 0) byte |= 0x80
    out.push(byte)
  } while (v > 0)
  return out
}

function parse(b: Uint8Array): Field[] {
  const fields: Field[] = []
  let pos = 0
  while (pos < b.length) {
    const [tag, p] = varint(b, pos)
    const num = Math.floor(tag / 8)
    const wt = tag % 8
    pos = p
    if (wt === 0) {
      const [, q] = varint(b, pos)
      fields.push({ num, wt, raw: b.subarray(pos, q) })
      pos = q
    } else if (wt === 2) {
      const [len, q] = varint(b, pos)
      fields.push({ num, wt, raw: b.subarray(q, q + len) })
      pos = q + len
    } else if (wt === 1 || wt === 5) {
      const n = wt === 1 ? 8 : 4
      fields.push({ num, wt, raw: b.subarray(pos, pos + n) })
      pos += n
    } else throw new Error(`unsupported protobuf wire type ${wt}`)
  }
  return fields
}

function encode(fields: Field[]): Uint8Array {
  const parts: number[] = []
  for (const f of fields) {
    parts.push(...encVarint(f.num * 8 + f.wt))
    if (f.wt === 2) parts.push(...encVarint(f.raw.length))
    parts.push(...f.raw)
  }
  return Uint8Array.from(parts)
}

function edit(b: Uint8Array, num: number, fn: (content: Uint8Array) => Uint8Array): Uint8Array {
  return encode(parse(b).map((f) => (f.num === num && f.wt === 2 ? { ...f, raw: fn(f.raw) } : f)))
}

/** The model with input dims 2 and 3 (H, W) made symbolic. */
export function withDynamicSpatialInput(model: Uint8Array): Uint8Array {
  const shape = (s: Uint8Array): Uint8Array => {
    let d = 0
    return encode(
      parse(s).map((f) => {
        if (f.num !== 1) return f
        const i = d++
        return i >= 2 ? { ...f, raw: encode([{ num: 2, wt: 2, raw: new TextEncoder().encode(i === 2 ? 'H' : 'W') }]) } : f
      })
    )
  }
  return edit(model, 7, (g) => edit(g, 11, (vi) => edit(vi, 2, (tp) => edit(tp, 1, (tt) => edit(tt, 2, shape)))))
}
