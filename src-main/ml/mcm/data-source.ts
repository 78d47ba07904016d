// What the MCM+KD trainer needs from a cohort: per-slide tissue grids, patch pixels, and cached teacher features.
// Real projects implement it over the tissue grid + slide readers + feature cache; tests use the synthetic cohort.

/** One tissue patch of a slide grid (a subset of GridPatch: the trainer only needs the cell and the index). */
export interface GridCell {
  index: number
  col: number
  row: number
}

export interface SlideGridView {
  /** stable slide name (held-out selection and inspection refer to slides by name) */
  slide: string
  cols: number
  rows: number
  patches: GridCell[]
  /** patient id when known (the held-out split is by patient then) */
  patient?: string | null
}

export interface McmDataSource {
  /** patch edge in pixels (the student's input size) */
  readonly patchSize: number
  readonly teacherDim: number
  slides(): SlideGridView[]
  /** RGB uint8, HWC, patchSize² × 3. Only visible patches are ever read. */
  readPatch(slide: string, index: number, signal?: AbortSignal): Promise<Uint8Array>
  /** level-0 centre of one grid patch (truth probe look-ups); absent on sources without slide coordinates */
  patchCentre?(slide: string, index: number): { x: number; y: number }
  /** raw (unnormalised) cached teacher feature of one patch */
  teacherFeature(slide: string, index: number): Float32Array
  /** what identifies the data (recorded in the run and the output model's manifest) */
  describe(): Record<string, unknown>
  close(): Promise<void>
}

/** Run `fn` over items with at most `limit` in flight, results in input order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length)
  let next = 0
  const worker = async (): Promise<void> => {
    for (;;) {
      const i = next++
      if (i >= items.length) return
      out[i] = await fn(items[i] as T, i)
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
  return out
}
