// Per-patch ground truth of a painted slide: what the demo teacher is pretrained to predict (on separate slides only).
import type { CohortParams } from './recipe'
import { atypiaAt, type AtypiaBump } from './atypia'

/** Names of the ground-truth channels, in column order. */
export const TRUTH_CHANNELS = [
  'tissue_fraction',
  'atypia_mean',
  'atypia_max',
  'atypia_context3',
  'atypia_context5',
  'nuclear_area_fraction',
  'haematoxylin_mean',
  'eosin_mean'
] as const

export interface PatchTruth {
  cols: number
  rows: number
  channels: readonly string[]
  /** rows·cols × channels, row-major by (row, col) */
  values: Float32Array
}

/** Mean of `src` over the (2r+1)² neighbourhood of each cell, weighted by tissue, within the grid. */
function neighbourhoodMean(src: Float32Array, weight: Float32Array, cols: number, rows: number, r: number): Float32Array {
  const out = new Float32Array(cols * rows)
  for (let j = 0; j < rows; j++) {
    for (let i = 0; i < cols; i++) {
      let s = 0
      let n = 0
      for (let dj = -r; dj <= r; dj++) {
        for (let di = -r; di <= r; di++) {
          const jj = j + dj
          const ii = i + di
          if (jj < 0 || ii < 0 || jj >= rows || ii >= cols) continue
          const wgt = weight[jj * cols + ii] as number
          s += (src[jj * cols + ii] as number) * wgt
          n += wgt
        }
      }
      out[j * cols + i] = n > 0 ? s / n : 0
    }
  }
  return out
}

export function computePatchTruth(
  p: CohortParams,
  w: number,
  h: number,
  tissue: Float32Array,
  hField: Float32Array,
  eField: Float32Array,
  bumps: AtypiaBump[]
): PatchTruth {
  const ps = p.patchSize
  const cols = Math.floor(w / ps)
  const rows = Math.floor(h / ps)
  const n = cols * rows
  const tissueFrac = new Float32Array(n)
  const atypiaMean = new Float32Array(n)
  const atypiaMax = new Float32Array(n)
  const nuclear = new Float32Array(n)
  const hMean = new Float32Array(n)
  const eMean = new Float32Array(n)
  const step = 8 // atypia sampled on an 8-px lattice: 64 samples per 64-px patch
  for (let j = 0; j < rows; j++) {
    for (let i = 0; i < cols; i++) {
      const c = j * cols + i
      let t = 0
      let nuc = 0
      let hs = 0
      let es = 0
      for (let y = j * ps; y < (j + 1) * ps; y++) {
        for (let x = i * ps; x < (i + 1) * ps; x++) {
          const k = y * w + x
          t += tissue[k] as number
          const hv = hField[k] as number
          hs += hv
          es += eField[k] as number
          if (hv > 0.35) nuc++
        }
      }
      let as = 0
      let am = 0
      let an = 0
      for (let y = j * ps + step / 2; y < (j + 1) * ps; y += step) {
        for (let x = i * ps + step / 2; x < (i + 1) * ps; x += step) {
          if ((tissue[Math.floor(y) * w + Math.floor(x)] as number) < 0.5) continue
          const a = atypiaAt(bumps, x, y)
          as += a
          am = Math.max(am, a)
          an++
        }
      }
      const area = ps * ps
      tissueFrac[c] = t / area
      atypiaMean[c] = an > 0 ? as / an : 0
      atypiaMax[c] = am
      nuclear[c] = nuc / area
      hMean[c] = hs / area
      eMean[c] = es / area
    }
  }
  const ctx3 = neighbourhoodMean(atypiaMean, tissueFrac, cols, rows, 1)
  const ctx5 = neighbourhoodMean(atypiaMean, tissueFrac, cols, rows, 2)
  const columns = [tissueFrac, atypiaMean, atypiaMax, ctx3, ctx5, nuclear, hMean, eMean]
  const values = new Float32Array(n * columns.length)
  for (let c = 0; c < n; c++) for (let k = 0; k < columns.length; k++) values[c * columns.length + k] = (columns[k] as Float32Array)[c] as number
  return { cols, rows, channels: TRUTH_CHANNELS, values }
}
