// Non-finite values (NaN, ±Inf) in weights and features: found early and named, never passed on. A model whose
// weights hold NaN "succeeds" at extraction with all-NaN vectors, which an export would then write out.
// Cost: one linear pass over the values (well under the cost of reading them).

/** Index of the first NaN/±Inf in `values`, or -1. */
export function firstNonFinite(values: ArrayLike<number>): number {
  for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i])) return i
  return -1
}

/** How many NaN/±Inf values `values` holds. */
export function countNonFinite(values: ArrayLike<number>): number {
  let n = 0
  for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i])) n++
  return n
}

/** Tensors holding non-finite values, with counts: "name (k of n values)". Empty when all are finite. */
export function nonFiniteTensors(tensors: Iterable<[string, { data: ArrayLike<number> }]>): string[] {
  const bad: string[] = []
  for (const [name, t] of tensors) {
    if (firstNonFinite(t.data) < 0) continue
    bad.push(`${name} (${countNonFinite(t.data)} of ${t.data.length} values)`)
  }
  return bad
}

/** "a, b, c and 4 more" */
export function listSome(items: string[], max = 8): string {
  return items.length <= max ? items.join(', ') : `${items.slice(0, max).join(', ')} and ${items.length - max} more`
}
