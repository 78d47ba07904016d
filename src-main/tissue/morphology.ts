// Binary image helpers on Uint8Array masks (0/1, row-major): separable square dilation/erosion, box blur, Otsu.
// Every pass uses running sums, so cost is O(pixels) whatever the radius.

/**
 * One separable pass of a square structuring element, as a running count of on-pixels in the window [i-r, i+r].
 * Dilation: count > 0. Erosion: count == window size, where the window size counts outside pixels as on
 * (`outsideOn`, the border never erodes) or off (the border erodes). The vertical pass keeps one running count
 * per column and walks rows in memory order (about 10× faster than walking columns).
 */
function pass(src: Uint8Array, w: number, h: number, r: number, horizontal: boolean, erode: boolean, outsideOn: boolean): Uint8Array {
  const out = new Uint8Array(src.length)
  const len = horizontal ? w : h
  // on-count each output position needs: 1 for dilation, the window size for erosion
  const need = new Int32Array(len)
  for (let i = 0; i < len; i++) need[i] = !erode ? 1 : outsideOn ? Math.min(len - 1, i + r) - Math.max(0, i - r) + 1 : 2 * r + 1
  if (horizontal) {
    for (let y = 0; y < h; y++) {
      const base = y * w
      let count = 0
      for (let x = 0; x <= Math.min(r, w - 1); x++) count += src[base + x] as number
      for (let x = 0; x < w; x++) {
        out[base + x] = count >= (need[x] as number) ? 1 : 0
        if (x + r + 1 < w) count += src[base + x + r + 1] as number
        if (x - r >= 0) count -= src[base + x - r] as number
      }
    }
    return out
  }
  const counts = new Int32Array(w)
  for (let y = 0; y <= Math.min(r, h - 1); y++) for (let x = 0; x < w; x++) counts[x] = (counts[x] as number) + (src[y * w + x] as number)
  for (let y = 0; y < h; y++) {
    const base = y * w
    const n = need[y] as number
    for (let x = 0; x < w; x++) out[base + x] = (counts[x] as number) >= n ? 1 : 0
    const add = y + r + 1 < h ? (y + r + 1) * w : -1
    const sub = y - r >= 0 ? (y - r) * w : -1
    for (let x = 0; x < w; x++) {
      let c = counts[x] as number
      if (add >= 0) c += src[add + x] as number
      if (sub >= 0) c -= src[sub + x] as number
      counts[x] = c
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

/** Box blur of an 8-bit channel with a (2r+1)² window (edge windows average only the inside pixels). Integer sums. */
export function boxBlur(src: Uint8Array, w: number, h: number, r: number): Uint8Array {
  if (r <= 0) return src.slice()
  const span = (i: number, len: number): number => Math.min(len - 1, i + r) - Math.max(0, i - r) + 1
  const tmp = new Int32Array(src.length) // horizontal window sums
  for (let y = 0; y < h; y++) {
    const base = y * w
    let sum = 0
    for (let x = 0; x <= Math.min(r, w - 1); x++) sum += src[base + x] as number
    for (let x = 0; x < w; x++) {
      tmp[base + x] = sum
      if (x + r + 1 < w) sum += src[base + x + r + 1] as number
      if (x - r >= 0) sum -= src[base + x - r] as number
    }
  }
  const spanX = new Float64Array(w)
  for (let x = 0; x < w; x++) spanX[x] = span(x, w)
  const out = new Uint8Array(src.length)
  const sums = new Int32Array(w)
  for (let y = 0; y <= Math.min(r, h - 1); y++) for (let x = 0; x < w; x++) sums[x] = (sums[x] as number) + (tmp[y * w + x] as number)
  for (let y = 0; y < h; y++) {
    const ny = span(y, h)
    const base = y * w
    const add = y + r + 1 < h ? (y + r + 1) * w : -1
    const sub = y - r >= 0 ? (y - r) * w : -1
    for (let x = 0; x < w; x++) {
      out[base + x] = Math.round((sums[x] as number) / ((spanX[x] as number) * ny))
      let v = sums[x] as number
      if (add >= 0) v += tmp[add + x] as number
      if (sub >= 0) v -= tmp[sub + x] as number
      sums[x] = v
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
