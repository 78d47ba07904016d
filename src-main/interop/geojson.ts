// GeoJSON export in level-0 pixels, origin top-left (QuPath's convention): tissue outlines traced from a mask,
// patch grids, and per-patch measurements (heatmaps) as QuPath tile objects with a `measurements` map.
import type { GridPatch } from '../../src-shared/domain/grid'

import type { Feature, FeatureCollection, Position } from '../../src-shared/domain/geojson'

export type { Feature, FeatureCollection, Position }

/** Binary mask in mask pixels; one mask pixel covers `downsample` level-0 px. */
export interface MaskLike {
  width: number
  height: number
  downsample: number
  data: Uint8Array
}

/**
 * Trace the boundaries between on and off pixels into closed rectilinear rings (vertex = pixel corner).
 * Edges are directed with the tissue on their right (image coordinates, y down), so outer rings and holes get
 * opposite signed areas. At a corner touched by two diagonal pixels, the tracer turns right: diagonal pixels stay apart.
 */
export function traceRings(mask: MaskLike): Position[][] {
  const { width: w, height: h, data } = mask
  const on = (x: number, y: number): boolean => x >= 0 && y >= 0 && x < w && y < h && data[y * w + x] === 1
  const W = w + 1
  const vid = (x: number, y: number): number => y * W + x
  // outgoing edges per start vertex: direction codes 0=+x, 1=+y, 2=−x, 3=−y
  const out = new Map<number, number[]>()
  const add = (x: number, y: number, dir: number): void => {
    const k = vid(x, y)
    const list = out.get(k)
    if (list) list.push(dir)
    else out.set(k, [dir])
  }
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      if (!on(x, y)) continue
      if (!on(x, y - 1)) add(x, y, 0) // top edge, going right (interior below = right of +x in y-down)
      if (!on(x + 1, y)) add(x + 1, y, 1) // right edge, going down
      if (!on(x, y + 1)) add(x + 1, y + 1, 2) // bottom edge, going left
      if (!on(x - 1, y)) add(x, y + 1, 3) // left edge, going up
    }
  }
  const dx = [1, 0, -1, 0]
  const dy = [0, 1, 0, -1]
  const rings: Position[][] = []
  for (const [start, dirs] of out) {
    while (dirs.length > 0) {
      const sx = start % W
      const sy = Math.floor(start / W)
      let x = sx
      let y = sy
      let dir = dirs.pop() as number
      const ring: Position[] = [[x, y]]
      // every vertex has as many incoming as outgoing edges, so the walk always returns to its start
      for (let guard = 0; guard < 4 * (w + 1) * (h + 1); guard++) {
        x += dx[dir] ?? 0
        y += dy[dir] ?? 0
        if (x === sx && y === sy) break
        const choices = out.get(vid(x, y))
        if (!choices || choices.length === 0) throw new Error(`tissue outline tracing lost its way at (${x}, ${y})`)
        // prefer a right turn (hugs the tissue, keeps diagonal pixels apart), then straight, then left
        const pick = [(dir + 1) % 4, dir, (dir + 3) % 4].find((d) => choices.includes(d)) ?? (choices[0] as number)
        choices.splice(choices.indexOf(pick), 1)
        if (pick !== dir) ring.push([x, y])
        dir = pick
      }
      ring.push([sx, sy])
      if (ring.length >= 4) rings.push(ring)
    }
  }
  return rings
}

/** Signed area (shoelace) in the ring's own coordinates; with y down, rings around tissue come out positive. */
export function signedArea(ring: Position[]): number {
  let a = 0
  for (let i = 0; i + 1 < ring.length; i++) {
    const [x0, y0] = ring[i] as Position
    const [x1, y1] = ring[i + 1] as Position
    a += x0 * y1 - x1 * y0
  }
  return a / 2
}

function pointInRing(px: number, py: number, ring: Position[]): boolean {
  let inside = false
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [xi, yi] = ring[i] as Position
    const [xj, yj] = ring[j] as Position
    if (yi > py !== yj > py && px < ((xj - xi) * (py - yi)) / (yj - yi) + xi) inside = !inside
  }
  return inside
}

/** Polygons (outer ring + holes) of a mask, in level-0 px. */
export function maskPolygons(mask: MaskLike): Position[][][] {
  const rings = traceRings(mask)
  const outers = rings.filter((r) => signedArea(r) > 0).map((r) => ({ ring: r, area: signedArea(r), holes: [] as Position[][] }))
  const holes = rings.filter((r) => signedArea(r) < 0)
  outers.sort((a, b) => a.area - b.area) // smallest container first
  for (const hole of holes) {
    const [hx, hy] = hole[0] as Position
    // test a point just inside the hole's first edge (a pixel centre of the hole)
    const probe = outers.find((o) => pointInRing(hx + 0.5, hy + 0.5, o.ring) || pointInRing(hx - 0.5, hy + 0.5, o.ring))
    probe?.holes.push(hole)
  }
  const ds = mask.downsample
  const scale = (r: Position[]): Position[] => r.map(([x, y]) => [Math.round(x * ds), Math.round(y * ds)])
  return outers.map((o) => [scale(o.ring), ...o.holes.map(scale)])
}

/** One QuPath annotation with the tissue outline (MultiPolygon), plus mask provenance in its properties. */
export function tissueToGeoJSON(mask: MaskLike, properties: Record<string, unknown> = {}): FeatureCollection {
  const polygons = maskPolygons(mask)
  return {
    type: 'FeatureCollection',
    features:
      polygons.length === 0
        ? []
        : [
            {
              type: 'Feature',
              id: 'tissue',
              geometry: { type: 'MultiPolygon', coordinates: polygons },
              properties: { objectType: 'annotation', classification: { name: 'Tissue', color: [80, 160, 80] }, ...properties }
            }
          ]
  }
}

/**
 * One square polygon per patch (footprint = level-0 edge), as QuPath tiles. `measurements` holds per-patch values in
 * patch order (e.g. { tissue: [...] } or a heatmap score); NaN values are left out of that patch's map.
 */
export function patchesToGeoJSON(
  patches: readonly GridPatch[],
  footprint: number,
  measurements: Record<string, ArrayLike<number>> = {},
  extraProperties: Record<string, unknown> = {}
): FeatureCollection {
  for (const [name, values] of Object.entries(measurements)) {
    if (values.length !== patches.length) throw new Error(`measurement "${name}" has ${values.length} values for ${patches.length} patches`)
  }
  return {
    type: 'FeatureCollection',
    features: patches.map((p, i) => {
      const m: Record<string, number> = {}
      for (const [name, values] of Object.entries(measurements)) {
        const v = values[i] as number
        if (Number.isFinite(v)) m[name] = v
      }
      const { x, y } = p
      return {
        type: 'Feature',
        geometry: {
          type: 'Polygon',
          coordinates: [[[x, y], [x + footprint, y], [x + footprint, y + footprint], [x, y + footprint], [x, y]]]
        },
        properties: { objectType: 'tile', index: p.index, col: p.col, row: p.row, tissue: p.tissue, measurements: m, ...extraProperties }
      }
    })
  }
}
