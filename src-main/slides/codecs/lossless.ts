// Lossless TIFF codecs used by associated images and some pyramids: LZW (5), Deflate (8 / 32946), and the
// horizontal-differencing predictor (2). Output size is capped by the caller's expected size (bomb guard).
import { inflateSync } from 'node:zlib'

/** TIFF LZW (MSB-first codes, early change). Stops at `maxBytes`; throws on invalid codes. */
export function decodeLzw(input: Uint8Array, maxBytes: number): Uint8Array {
  const out = new Uint8Array(maxBytes)
  let outPos = 0
  const dictPrefix = new Int32Array(4096)
  const dictByte = new Uint8Array(4096)
  const dictLen = new Uint16Array(4096)
  const dictFirst = new Uint8Array(4096)
  for (let i = 0; i < 256; i++) {
    dictPrefix[i] = -1
    dictByte[i] = i
    dictLen[i] = 1
    dictFirst[i] = i
  }
  let next = 258
  let width = 9
  let bitPos = 0
  let prev = -1
  const totalBits = input.length * 8
  const readCode = (): number => {
    if (bitPos + width > totalBits) return 257
    let code = 0
    for (let i = 0; i < width; i++) {
      const bit = (input[(bitPos + i) >> 3]! >> (7 - ((bitPos + i) & 7))) & 1
      code = (code << 1) | bit
    }
    bitPos += width
    return code
  }
  const emit = (code: number): void => {
    const len = dictLen[code]!
    if (outPos + len > maxBytes) throw new Error('LZW data decodes to more bytes than the image holds')
    let c = code
    for (let i = len - 1; i >= 0; i--) {
      out[outPos + i] = dictByte[c]!
      c = dictPrefix[c]!
    }
    outPos += len
  }
  for (;;) {
    const code = readCode()
    if (code === 257) break
    if (code === 256) {
      next = 258
      width = 9
      prev = -1
      continue
    }
    if (prev === -1) {
      if (code > 255) throw new Error(`invalid LZW code ${code} after clear`)
      emit(code)
      prev = code
      continue
    }
    if (code < next) {
      emit(code)
      if (next < 4096) {
        dictPrefix[next] = prev
        dictByte[next] = dictFirst[code]!
        dictLen[next] = dictLen[prev]! + 1
        dictFirst[next] = dictFirst[prev]!
        next++
      }
    } else if (code === next && next < 4096) {
      dictPrefix[next] = prev
      dictByte[next] = dictFirst[prev]!
      dictLen[next] = dictLen[prev]! + 1
      dictFirst[next] = dictFirst[prev]!
      next++
      emit(code)
    } else throw new Error(`invalid LZW code ${code}`)
    prev = code
    if (next + 1 >= 1 << width && width < 12) width++
  }
  return out.subarray(0, outPos)
}

export function decodeDeflate(input: Uint8Array, maxBytes: number): Uint8Array {
  return inflateSync(input, { maxOutputLength: maxBytes })
}

/** Undo TIFF predictor 2 (horizontal differencing) for 8-bit chunky samples, in place. */
export function undoHorizontalPredictor(data: Uint8Array, width: number, rows: number, spp: number): void {
  for (let y = 0; y < rows; y++) {
    const row = y * width * spp
    for (let i = spp; i < width * spp; i++) data[row + i] = (data[row + i]! + data[row + i - spp]!) & 255
  }
}
