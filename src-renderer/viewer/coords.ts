// Level-0 ↔ viewer-element coordinate mapping. OSD has no rotation here, so the map is one scale + one offset;
// sampling it once per frame lets every overlay draw with a single canvas transform instead of per-point OSD calls.

/** viewer-element CSS px = level-0 px × scale + offset */
export interface ViewTransform {
  scale: number
  offsetX: number
  offsetY: number
}

/** Axis-aligned rectangle (level-0 px or CSS px, as named by the caller). */
export interface Rect {
  x: number
  y: number
  width: number
  height: number
}

/** Anything that maps image (level-0) coordinates to viewer-element coordinates, like OSD's viewport. */
export type ImageToElement = (x: number, y: number) => { x: number; y: number }

/**
 * Build the transform from two probe points of the real mapping. Probing at (0,0) and (imageWidth,0) keeps
 * the scale exact to float precision even for 100k-px slides (a probe at (1,0) would lose digits).
 */
export function transformFrom(map: ImageToElement, imageWidth: number): ViewTransform {
  const origin = map(0, 0)
  const far = map(Math.max(1, imageWidth), 0)
  return { scale: (far.x - origin.x) / Math.max(1, imageWidth), offsetX: origin.x, offsetY: origin.y }
}

export function toElement(t: ViewTransform, x: number, y: number): { x: number; y: number } {
  return { x: x * t.scale + t.offsetX, y: y * t.scale + t.offsetY }
}

export function toLevel0(t: ViewTransform, ex: number, ey: number): { x: number; y: number } {
  return { x: (ex - t.offsetX) / t.scale, y: (ey - t.offsetY) / t.scale }
}

/** The level-0 rectangle visible in an element of `width`×`height` CSS px. */
export function visibleLevel0(t: ViewTransform, width: number, height: number): Rect {
  const a = toLevel0(t, 0, 0)
  return { x: a.x, y: a.y, width: width / t.scale, height: height / t.scale }
}

/** Intersection of two rectangles, or null when they do not overlap. */
export function intersect(a: Rect, b: Rect): Rect | null {
  const x0 = Math.max(a.x, b.x)
  const y0 = Math.max(a.y, b.y)
  const x1 = Math.min(a.x + a.width, b.x + b.width)
  const y1 = Math.min(a.y + a.height, b.y + b.height)
  return x1 > x0 && y1 > y0 ? { x: x0, y: y0, width: x1 - x0, height: y1 - y0 } : null
}
