// Principal components of a set of vectors: covariance, then a cyclic Jacobi eigensolver (exact for symmetric
// matrices, no external linear-algebra package). Used to whiten the teacher targets of MCM+KD (ml/mcm/targets.ts).

export interface Pca {
  dim: number
  /** per-dimension mean of the fitted vectors */
  mean: Float64Array
  /** eigenvalues (variances along the components), descending */
  variances: Float64Array
  /** component k = components[k·dim … (k+1)·dim) (unit length), in the order of `variances` */
  components: Float64Array
  /** sum of all variances (trace of the covariance) */
  totalVariance: number
  fittedOn: number
}

/**
 * Eigen-decomposition of a symmetric n×n matrix (row-major, not modified). Returns eigenvalues descending and the
 * matching unit eigenvectors as rows. Cost: ~n³ per sweep, 6–10 sweeps; n = 256 takes about 1 s on this CPU.
 */
export function symmetricEigen(matrix: Float64Array, n: number, maxSweeps = 50): { values: Float64Array; vectors: Float64Array } {
  if (matrix.length !== n * n) throw new Error(`symmetricEigen: matrix has ${matrix.length} entries, expected ${n}×${n}`)
  const a = Float64Array.from(matrix)
  const v = new Float64Array(n * n)
  for (let i = 0; i < n; i++) v[i * n + i] = 1
  let scale = 0
  for (let i = 0; i < n * n; i++) scale += (a[i] ?? 0) ** 2
  const tolerance = 1e-22 * Math.max(scale, 1e-300)
  for (let sweep = 0; sweep < maxSweeps; sweep++) {
    let off = 0
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += (a[p * n + q] ?? 0) ** 2
    if (off <= tolerance) break
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[p * n + q] ?? 0
        if (apq === 0) continue
        const app = a[p * n + p] ?? 0
        const aqq = a[q * n + q] ?? 0
        const theta = (aqq - app) / (2 * apq)
        const t = (theta >= 0 ? 1 : -1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1))
        const c = 1 / Math.sqrt(t * t + 1)
        const s = t * c
        // A ← Jᵀ A J on rows/columns p and q (A stays symmetric; both triangles are updated)
        for (let k = 0; k < n; k++) {
          const akp = a[k * n + p] ?? 0
          const akq = a[k * n + q] ?? 0
          a[k * n + p] = c * akp - s * akq
          a[k * n + q] = s * akp + c * akq
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p * n + k] ?? 0
          const aqk = a[q * n + k] ?? 0
          a[p * n + k] = c * apk - s * aqk
          a[q * n + k] = s * apk + c * aqk
        }
        // V ← V J (columns p and q)
        for (let k = 0; k < n; k++) {
          const vkp = v[k * n + p] ?? 0
          const vkq = v[k * n + q] ?? 0
          v[k * n + p] = c * vkp - s * vkq
          v[k * n + q] = s * vkp + c * vkq
        }
      }
    }
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => (a[j * n + j] ?? 0) - (a[i * n + i] ?? 0))
  const values = new Float64Array(n)
  const vectors = new Float64Array(n * n)
  order.forEach((col, k) => {
    values[k] = a[col * n + col] ?? 0
    for (let r = 0; r < n; r++) vectors[k * n + r] = v[r * n + col] ?? 0
  })
  return { values, vectors }
}

/** PCA of `count` vectors of length `dim` given by `row(i)`. Cost: count·dim²/2 for the covariance + the eigensolver. */
export function fitPca(count: number, dim: number, row: (i: number) => ArrayLike<number>): Pca {
  if (count < 2) throw new Error(`PCA needs at least 2 vectors, got ${count}`)
  const mean = new Float64Array(dim)
  for (let i = 0; i < count; i++) {
    const x = row(i)
    for (let d = 0; d < dim; d++) mean[d] = (mean[d] ?? 0) + (x[d] ?? 0) / count
  }
  const cov = new Float64Array(dim * dim)
  const centred = new Float64Array(dim)
  for (let i = 0; i < count; i++) {
    const x = row(i)
    for (let d = 0; d < dim; d++) centred[d] = (x[d] ?? 0) - (mean[d] ?? 0)
    for (let r = 0; r < dim; r++) {
      const xr = centred[r] ?? 0
      if (xr === 0) continue
      for (let c = 0; c <= r; c++) cov[r * dim + c] = (cov[r * dim + c] ?? 0) + xr * (centred[c] ?? 0)
    }
  }
  for (let r = 0; r < dim; r++) {
    for (let c = 0; c <= r; c++) {
      const value = (cov[r * dim + c] ?? 0) / (count - 1)
      cov[r * dim + c] = value
      cov[c * dim + r] = value
    }
  }
  const { values, vectors } = symmetricEigen(cov, dim)
  let totalVariance = 0
  for (let d = 0; d < dim; d++) totalVariance += cov[d * dim + d] ?? 0
  return { dim, mean, variances: values.map((x) => Math.max(x, 0)), components: vectors, totalVariance, fittedOn: count }
}

/** Scores of `x` on the first k components, each divided by the component's SD (whitened: unit variance on the fit data). */
export function whitenedScores(p: Pca, x: ArrayLike<number>, k: number, out = new Float32Array(k)): Float32Array {
  const { dim } = p
  for (let j = 0; j < k; j++) {
    let s = 0
    for (let d = 0; d < dim; d++) s += ((x[d] ?? 0) - (p.mean[d] ?? 0)) * (p.components[j * dim + d] ?? 0)
    out[j] = s / Math.sqrt((p.variances[j] ?? 0) + 1e-8)
  }
  return out
}
