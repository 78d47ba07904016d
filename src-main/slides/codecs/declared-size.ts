// Decompression-bomb guard: read the size a compressed tile *declares* (JPEG SOF, JPEG 2000 SIZ) from its header
// and compare it with the tile size the container promises, before any decoder allocates. A 6 MB TIFF whose JPEG
// tiles each declared 16384² took one thumbnail to 4.46 GB RSS before this check; stored tiles handed out as-is
// (Deep Zoom pass-through) are checked the same way so a bomb never reaches the viewer either.
// Cost: a scan of the marker headers only (tens of bytes before SOF/SIZ), no entropy-coded data is touched.

export interface DeclaredSize {
  width: number
  height: number
}

/** Width/height from the first SOFn marker of a JPEG stream; null when there is none before the scan data. */
export function jpegDeclaredSize(jpeg: Uint8Array): DeclaredSize | null {
  let p = 2 // after SOI
  while (p + 4 <= jpeg.length) {
    if (jpeg[p] !== 0xff) return null
    const m = jpeg[p + 1]!
    if (m === 0xff) {
      p++ // fill byte
      continue
    }
    if (m === 0xd8 || (m >= 0xd0 && m <= 0xd7) || m === 0x01) {
      p += 2 // markers without a length (a second SOI appears where tables were spliced in)
      continue
    }
    if (m === 0xda || m === 0xd9) return null // scan data or end before any frame header
    const len = (jpeg[p + 2]! << 8) | jpeg[p + 3]!
    // SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC)
    if (m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc) {
      if (p + 9 > jpeg.length) return null
      return { height: (jpeg[p + 5]! << 8) | jpeg[p + 6]!, width: (jpeg[p + 7]! << 8) | jpeg[p + 8]! }
    }
    p += 2 + len
  }
  return null
}

/** Image size from the SIZ marker of a JPEG 2000 codestream (SOC then SIZ; a JP2 box wrapper is searched). */
export function j2kDeclaredSize(cs: Uint8Array): DeclaredSize | null {
  let p = -1
  for (let i = 0; i + 1 < Math.min(cs.length, 4096); i++) {
    if (cs[i] === 0xff && cs[i + 1] === 0x4f && cs[i + 2] === 0xff && cs[i + 3] === 0x51) {
      p = i + 2
      break
    }
  }
  if (p < 0 || p + 22 > cs.length) return null
  const u32 = (o: number): number => ((cs[o]! << 24) >>> 0) + (cs[o + 1]! << 16) + (cs[o + 2]! << 8) + cs[o + 3]!
  // FF51 Lsiz(2) Rsiz(2) Xsiz(4) Ysiz(4) XOsiz(4) YOsiz(4)
  const xsiz = u32(p + 6)
  const ysiz = u32(p + 10)
  const xo = u32(p + 14)
  const yo = u32(p + 18)
  if (xo > xsiz || yo > ysiz) return { width: 0, height: 0 }
  return { width: xsiz - xo, height: ysiz - yo }
}

/**
 * Throw unless the declared size fits the tile: width exactly, height between `minHeight` (the rows the tile must
 * cover) and the tile height (JPEG encoders may pad to a whole MCU row of 16). `what` names the tile in the error.
 */
export function checkDeclaredSize(kind: 'JPEG' | 'JPEG 2000', declared: DeclaredSize | null, width: number, tileHeight: number, minHeight: number, what: string): void {
  if (!declared) throw new Error(`${what}: ${kind} stream has no readable size header`)
  const maxHeight = Math.ceil(tileHeight / 16) * 16
  if (declared.width !== width || declared.height < minHeight || declared.height > maxHeight) {
    throw new Error(`${what}: ${kind} stream declares ${declared.width}x${declared.height} pixels but the tile is ${width}x${tileHeight}; refused before decoding (possible decompression bomb)`)
  }
}
