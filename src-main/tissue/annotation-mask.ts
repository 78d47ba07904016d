// Tissue masks from imported annotations: parse a GeoJSON export (QuPath: FeatureCollection, a bare Feature array, a
// Feature or a geometry; Polygon/MultiPolygon in level-0 pixels) and rasterise its polygons at mask resolution with
// an even-odd scanline fill per polygon (holes stay holes), polygons OR-ed together. Cost: O(rows × edges).

/** One polygon: outer ring first, then holes; each ring a list of [x, y] level-0 px. */
export type Polygon = [number, number][][]

export class AnnotationError extends Error {
  constructor(file: string, problem: string) {
    super(`${file}: ${problem}`)
    this.name = 'AnnotationError'
  }
}

const MAX_VERTICES = 2_000_000

function ring(file: string, v: unknown): [number, number][] {
  if (!Array.isArray(v) || v.length < 3) throw new AnnotationError(file, 'a polygon ring has fewer than 3 points')
  return v.map((p: unknown) => {
    if (!Array.isArray(p) || p.length < 2 || !Number.isFinite(p[0]) || !Number.isFinite(p[1])) throw new AnnotationError(file, 'a polygon point is not [x, y] numbers')
    return [p[0] as number, p[1] as number]
  })
}

function polygonsOfGeometry(file: string, g: unknown, out: Polygon[]): void {
  if (!g || typeof g !== 'object') return
  const geom = g as { type?: unknown; coordinates?: unknown; geometries?: unknown }
  if (geom.type === 'Polygon') out.push((geom.coordinates as unknown[]).map((r) => ring(file, r)))
  else if (geom.type === 'MultiPolygon') for (const p of geom.coordinates as unknown[][]) out.push(p.map((r) => ring(file, r)))
  else if (geom.type === 'GeometryCollection' && Array.isArray(geom.geometries)) for (const x of geom.geometries) polygonsOfGeometry(file, x, out)
}

/** Polygons of a GeoJSON text; points, lines and non-tissue classes are ignored (QuPath classification "Tissue" or none). */
export function parseTissueGeoJSON(text: string, file: string): Polygon[] {
  let doc: unknown
  try {
    doc = JSON.parse(text)
  } catch {
    throw new AnnotationError(file, 'is not valid JSON')
  }
  const features: unknown[] = Array.isArray(doc)
    ? doc
    : (doc as { type?: string }).type === 'FeatureCollection'
      ? ((doc as { features?: unknown[] }).features ?? [])
      : [doc]
  const out: Polygon[] = []
  for (const f of features) {
    const feat = f as { type?: string; geometry?: unknown; properties?: { classification?: { name?: unknown } } }
    const cls = feat?.properties?.classification?.name
    if (typeof cls === 'string' && !/tissue|region|annotation/i.test(cls)) continue
    polygonsOfGeometry(file, feat?.type === 'Feature' ? feat.geometry : feat, out)
  }
  if (out.length === 0) throw new AnnotationError(file, 'holds no Polygon or MultiPolygon (tissue annotations exported from QuPath as GeoJSON)')
  const vertices = out.reduce((n, p) => n + p.reduce((m, r) => m + r.length, 0), 0)
  if (vertices > MAX_VERTICES) throw new AnnotationError(file, `has ${vertices} vertices, more than the ${MAX_VERTICES} accepted`)
  return out
}

/** Rasterise polygons (level-0 px) onto a width×height mask of `downsample` level-0 px per pixel, at pixel centres. */
export function rasterizePolygons(polygons: readonly Polygon[], width: number, height: number, downsample: number): Uint8Array {
  const mask = new Uint8Array(width * height)
  const xs: number[] = []
  for (const poly of polygons) {
    for (let y = 0; y < height; y++) {
      const cy = (y + 0.5) * downsample
      xs.length = 0
      for (const r of poly) {
        for (let i = 0, j = r.length - 1; i < r.length; j = i++) {
          const [xi, yi] = r[i] as [number, number]
          const [xj, yj] = r[j] as [number, number]
          if (yi > cy !== yj > cy) xs.push(xi + ((cy - yi) / (yj - yi)) * (xj - xi))
        }
      }
      xs.sort((a, b) => a - b)
      for (let k = 0; k + 1 < xs.length; k += 2) {
        // pixel x is inside when its centre (x + 0.5)·ds lies in [xs[k], xs[k+1])
        const x0 = Math.max(0, Math.ceil((xs[k] as number) / downsample - 0.5))
        const x1 = Math.min(width - 1, Math.ceil((xs[k + 1] as number) / downsample - 0.5) - 1)
        for (let x = x0; x <= x1; x++) mask[y * width + x] = 1
      }
    }
  }
  return mask
}
