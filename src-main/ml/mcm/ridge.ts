// Multi-output ridge regression by Cholesky (d ≤ a few thousand): the teacher probe's linear read-out.
// Cost: n·d² to form XᵀX, d³/3 for the factorisation, d²·m for the m right-hand sides (Float64 throughout).

/** Solve (XᵀX + λ·n·I) W = XᵀY for standardised X (columns: zero mean, unit SD on the fit rows) and centred Y. */
export interface RidgeFit {
  d: number
  m: number
  xMean: Float64Array
  xScale: Float64Array
  yMean: Float64Array
  /** [d, m] */
  w: Float64Array
}

export function fitRidge(x: Float32Array, y: Float32Array, n: number, d: number, m: number, lambda = 1e-3): RidgeFit {
  if (x.length !== n * d || y.length !== n * m) throw new Error(`fitRidge: expected ${n}×${d} inputs and ${n}×${m} targets, got ${x.length} and ${y.length} values`)
  if (n < 2) throw new Error(`fitRidge needs at least 2 rows, got ${n}`)
  const xMean = new Float64Array(d)
  const xScale = new Float64Array(d)
  const yMean = new Float64Array(m)
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) xMean[j] = (xMean[j] ?? 0) + (x[i * d + j] ?? 0) / n
    for (let c = 0; c < m; c++) yMean[c] = (yMean[c] ?? 0) + (y[i * m + c] ?? 0) / n
  }
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) xScale[j] = (xScale[j] ?? 0) + ((x[i * d + j] ?? 0) - (xMean[j] ?? 0)) ** 2 / n
  for (let j = 0; j < d; j++) xScale[j] = Math.sqrt(xScale[j] ?? 0) || 1
  const a = new Float64Array(d * d)
  const b = new Float64Array(d * m)
  const row = new Float64Array(d)
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) row[j] = ((x[i * d + j] ?? 0) - (xMean[j] ?? 0)) / (xScale[j] ?? 1)
    for (let j = 0; j < d; j++) {
      const rj = row[j] ?? 0
      for (let k = 0; k <= j; k++) a[j * d + k] = (a[j * d + k] ?? 0) + rj * (row[k] ?? 0)
      for (let c = 0; c < m; c++) b[j * m + c] = (b[j * m + c] ?? 0) + rj * ((y[i * m + c] ?? 0) - (yMean[c] ?? 0))
    }
  }
  for (let j = 0; j < d; j++) a[j * d + j] = (a[j * d + j] ?? 0) + lambda * n
  // Cholesky in place (lower triangle): a = L Lᵀ; positive definite because of the ridge term
  for (let j = 0; j < d; j++) {
    for (let k = 0; k < j; k++) {
      let s = a[j * d + k] ?? 0
      for (let q = 0; q < k; q++) s -= (a[j * d + q] ?? 0) * (a[k * d + q] ?? 0)
      a[j * d + k] = s / (a[k * d + k] ?? 1)
    }
    let s = a[j * d + j] ?? 0
    for (let q = 0; q < j; q++) s -= (a[j * d + q] ?? 0) ** 2
    a[j * d + j] = Math.sqrt(Math.max(s, 1e-300))
  }
  const w = new Float64Array(d * m)
  const z = new Float64Array(d)
  for (let c = 0; c < m; c++) {
    for (let j = 0; j < d; j++) {
      let s = b[j * m + c] ?? 0
      for (let q = 0; q < j; q++) s -= (a[j * d + q] ?? 0) * (z[q] ?? 0)
      z[j] = s / (a[j * d + j] ?? 1)
    }
    for (let j = d - 1; j >= 0; j--) {
      let s = z[j] ?? 0
      for (let q = j + 1; q < d; q++) s -= (a[q * d + j] ?? 0) * (w[q * m + c] ?? 0)
      w[j * m + c] = s / (a[j * d + j] ?? 1)
    }
  }
  return { d, m, xMean, xScale, yMean, w }
}

/** Predictions of the fit for one row of d inputs (m outputs). */
export function ridgePredict(f: RidgeFit, row: ArrayLike<number>, out = new Float32Array(f.m)): Float32Array {
  const { d, m } = f
  for (let c = 0; c < m; c++) out[c] = f.yMean[c] ?? 0
  for (let j = 0; j < d; j++) {
    const z = ((row[j] ?? 0) - (f.xMean[j] ?? 0)) / (f.xScale[j] ?? 1)
    if (z === 0) continue
    for (let c = 0; c < m; c++) out[c] = (out[c] ?? 0) + z * (f.w[j * m + c] ?? 0)
  }
  return out
}

/**
 * R² of the fit on new rows, pooled over all outputs: 1 − Σ residual² / Σ (y − mean of these rows)².
 * Pooling weighs each output by its variance (the same as R² of the whole target vector).
 */
export function ridgeR2(f: RidgeFit, x: Float32Array, y: Float32Array, n: number): number {
  const { d, m } = f
  const mean = new Float64Array(m)
  for (let i = 0; i < n; i++) for (let c = 0; c < m; c++) mean[c] = (mean[c] ?? 0) + (y[i * m + c] ?? 0) / n
  const p = new Float32Array(m)
  let residual = 0
  let total = 0
  for (let i = 0; i < n; i++) {
    ridgePredict(f, x.subarray(i * d, (i + 1) * d), p)
    for (let c = 0; c < m; c++) {
      const t = y[i * m + c] ?? 0
      residual += ((p[c] ?? 0) - t) ** 2
      total += (t - (mean[c] ?? 0)) ** 2
    }
  }
  return total > 0 ? 1 - residual / total : NaN
}
