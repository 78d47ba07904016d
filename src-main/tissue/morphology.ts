// Binary image helpers on Uint8Array masks (0/1, row-major): separable square dilation/erosion, box blur, Otsu.
// Every pass uses running sums, so cost is O(pixels) whatever the radius.

/** One separable pass of a square structuring element along rows (horizontal) or columns. */
function pass(src: Uint8Array, w: number, h: number, r: number, horizontal: boolean, erode: boolean, outsideOn: boolean): Uint8Array {
  const out = new Uint8Array(src.length)
  const lines = horizontal ? h : w
  const len = horizontal ? w : h
  const at = (line: number, i: number): number => (horizontal ? line * w + i : i * w + line)
  for (let line = 0; line < lines; line++) {
    let sum = 0
    // window [i-r, i+r]; outside the image counts as on (outsideOn) or off
    for (let i = 0; i <= Math.min(r, len - 1); i++) sum += src[at(line, i)] ?? 0
    for (let i = 0; i < len; i++) {
      const lo = Math.max(0, i - r)
      const hi = Math.min(len - 1, i + r)
      const need = outsideOn ? hi - lo + 1 : 2 * r + 1
      out[at(line, i)] = erode ? (sum === need ? 1 : 0) : sum > 0 ? 1 : 0
      if (i + r + 1 < len) sum += src[at(line, i + r + 1)] ?? 0
      if (i - r >= 0) sum -= src[at(line, i - r)] ?? 0
    }
  }
  return out
}

/** Dilation; pixels outside the image are off. */
export function dilate(mask: Uint8Array, w: number, h: number, r: number): Uint8Array {
  if (r <= 0) return mask.slice()
  return pass(pass(mask, w, h, r, true, false, false), w, h, r, false, false, false)
}

/** Erosion; `outsideOn` decides whether the image border erodes (false) or not (true). */
export function erode(mask: Uint8Array, w: number, h: number, r: number, outsideOn = false): Uint8Array {
  if (r <= 0) return mask.slice()
  return pass(pass(mask, w, h, r, true, true, outsideOn), w, h, r, false, true, outsideOn)
}

/**
 * Closing fills gaps narrower than 2r+1 px and never removes an original pixel (the border does not erode);
 * opening removes specks narrower than 2r+1 px, including those touching the border.
 */
export const close = (m: Uint8Array, w: number, h: number, r: number): Uint8Array => erode(dilate(m, w, h, r), w, h, r, true)
export const open = (m: Uint8Array, w: number, h: number, r: number): Uint8Array => dilate(erode(m, w, h, r, false), w, h, r)

/** Box blur of an 8-bit channel with a (2r+1)² window (edge windows average only the inside pixels). */
export function boxBlur(src: Uint8Array, w: number, h: number, r: number): Uint8Array {
  if (r <= 0) return src.slice()
  const tmp = new Float32Array(src.length)
  const out = new Uint8Array(src.length)
  for (let y = 0; y < h; y++) {
    let sum = 0
    for (let x = 0; x <= Math.min(r, w - 1); x++) sum += src[y * w + x] ?? 0
    for (let x = 0; x < w; x++) {
      tmp[y * w + x] = sum / (Math.min(w - 1, x + r) - Math.max(0, x - r) + 1)
      if (x + r + 1 < w) sum += src[y * w + x + r + 1] ?? 0
      if (x - r >= 0) sum -= src[y * w + x - r] ?? 0
    }
  }
  for (let x = 0; x < w; x++) {
    let sum = 0
    for (let y = 0; y <= Math.min(r, h - 1); y++) sum += tmp[y * w + x] ?? 0
    for (let y = 0; y < h; y++) {
      out[y * w + x] = Math.round(sum / (Math.min(h - 1, y + r) - Math.max(0, y - r) + 1))
      if (y + r + 1 < h) sum += tmp[(y + r + 1) * w + x] ?? 0
      if (y - r >= 0) sum -= tmp[(y - r) * w + x] ?? 0
    }
  }
  return out
}

/** Otsu's threshold of an 8-bit channel: the t maximising between-class variance of (≤ t) vs (> t). */
export function otsuThreshold(values: Uint8Array): number {
  const hist = new Float64Array(256)
  for (const v of values) hist[v] = (hist[v] ?? 0) + 1
  const total = values.length
  let sumAll = 0
  for (let i = 0; i < 256; i++) sumAll += i * (hist[i] ?? 0)
  let wB = 0
  let sumB = 0
  let best = 0
  let bestVar = -1
  for (let t = 0; t < 256; t++) {
    wB += hist[t] ?? 0
    if (wB === 0) continue
    const wF = total - wB
    if (wF === 0) break
    sumB += t * (hist[t] ?? 0)
    const mB = sumB / wB
    const mF = (sumAll - sumB) / wF
    const between = wB * wF * (mB - mF) ** 2
    if (between > bestVar) {
      bestVar = between
      best = t
    }
  }
  return best
}
