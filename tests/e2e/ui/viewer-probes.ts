// In-page probes for the UI e2e tests: read overlay and tile pixels at positions OpenSeadragon itself computes from
// level-0 coordinates (independent of the overlay code's own transform), and time frames during scripted pan/zoom.
import type { Page } from 'playwright-core'

/** Minimal shape of the page's window.tesseraViewer used here (the e2e side only sees plain data). */
export interface PageViewer {
  osd: {
    world: { getItemAt(i: number): { imageToViewerElementCoordinates(p: unknown): { x: number; y: number }; getFullyLoaded(): boolean } }
    viewport: { getCenter(): { x: number; y: number }; zoomBy(f: number, p?: unknown, immediately?: boolean): void; panBy(d: unknown, immediately?: boolean): void; goHome(immediately?: boolean): void; applyConstraints(immediately?: boolean): void; getZoom(): number }
    drawer: { canvas: CanvasLike; getType(): string }
  }
  session: { overlays: { canvas: CanvasLike; drawTimings(): number[]; resetTimings(): void; draw(): void } }
  grid(): { size: number; step: number; cols: number; rows: number; col: Int32Array; row: Int32Array } | null
  gridInfo(): { stepLevel0: number; patchSizeLevel0: number; cols: number; rows: number } | null
}

/** 2D canvas as far as the probes read it (tests compile without the DOM lib: page-side types are spelled out). */
export interface CanvasLike {
  width: number
  height: number
  getContext(kind: '2d', options?: { willReadFrequently?: boolean }): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } | null
}

/** The page's globals the probes use; functions passed to page.evaluate cast `globalThis` to this. */
export interface PageGlobals {
  tesseraViewer?: PageViewer
  requestAnimationFrame(callback: (now: number) => void): number
  document: { querySelector(selector: string): CanvasLike | null }
}

export interface GridSnapshot {
  count: number
  step: number
  size: number
  cols: number
  rows: number
  /** level-0 top-left of a few patches (centre of the slide first) */
  sample: { col: number; row: number; x: number; y: number }[]
}

export async function waitViewerReady(page: Page): Promise<void> {
  await page.waitForFunction(() => {
    const v = (globalThis as unknown as PageGlobals).tesseraViewer
    return !!v && v.osd.world.getItemAt(0)?.getFullyLoaded() === true
  }, undefined, { timeout: 60_000 })
}

export async function waitGrid(page: Page, minCount = 1, timeout = 60_000): Promise<GridSnapshot> {
  await page.waitForFunction((n) => ((globalThis as unknown as PageGlobals).tesseraViewer?.grid()?.col.length ?? 0) >= n, minCount, { timeout })
  return page.evaluate(() => {
    const g = (globalThis as unknown as PageGlobals).tesseraViewer!.grid()!
    const centreCol = Math.floor(g.cols / 2)
    const centreRow = Math.floor(g.rows / 2)
    const order = Array.from(g.col.keys()).sort(
      (a, b) => Math.hypot(g.col[a]! - centreCol, g.row[a]! - centreRow) - Math.hypot(g.col[b]! - centreCol, g.row[b]! - centreRow)
    )
    const sample = order.slice(0, 5).map((i) => ({ col: g.col[i]!, row: g.row[i]!, x: g.col[i]! * g.step, y: g.row[i]! * g.step }))
    return { count: g.col.length, step: g.step, size: g.size, cols: g.cols, rows: g.rows, sample }
  })
}

/** Element (CSS px) position of a level-0 point, computed by OpenSeadragon. */
export async function level0ToElement(page: Page, x: number, y: number): Promise<{ x: number; y: number }> {
  return page.evaluate(
    ([x, y]) => {
      const v = (globalThis as unknown as PageGlobals).tesseraViewer!
      // a fresh OSD Point (the bundle's OpenSeadragon namespace is not global): getCenter() returns a new one
      const point = v.osd.viewport.getCenter()
      point.x = x
      point.y = y
      const p = v.osd.world.getItemAt(0).imageToViewerElementCoordinates(point)
      return { x: p.x, y: p.y }
    },
    [x, y] as const
  )
}

/** RGBA of the overlay canvas and of the tile (drawer) canvas at element position (CSS px; dpr 1 in headless). */
export async function pixelsAt(page: Page, points: { x: number; y: number }[], radius = 0): Promise<{ overlay: number[][]; tiles: number[][] }> {
  return page.evaluate(
    ([points, radius]) => {
      const v = (globalThis as unknown as PageGlobals).tesseraViewer!
      v.session.overlays.draw()
      const read = (c: CanvasLike, x: number, y: number): number[] => {
        const ctx = c.getContext('2d', { willReadFrequently: true })!
        const d = ctx.getImageData(Math.round(x) - radius, Math.round(y) - radius, 2 * radius + 1, 2 * radius + 1).data
        const sum = [0, 0, 0, 0]
        for (let i = 0; i < d.length; i += 4) for (let k = 0; k < 4; k++) sum[k]! += d[i + k]!
        return sum.map((s) => s / (d.length / 4))
      }
      return {
        overlay: points.map((p) => read(v.session.overlays.canvas, p.x, p.y)),
        tiles: points.map((p) => read(v.osd.drawer.canvas, p.x, p.y))
      }
    },
    [points, radius] as const
  )
}

/** Zoom by `factor` around the centre without animation and wait for the tiles of the new view. */
export async function zoomNow(page: Page, factor: number): Promise<void> {
  await page.evaluate((f) => {
    const v = (globalThis as unknown as PageGlobals).tesseraViewer!
    v.osd.viewport.zoomBy(f, undefined, true)
    v.osd.viewport.applyConstraints(true)
  }, factor)
  await page.waitForTimeout(50)
  await waitViewerReady(page)
}

export interface FrameTimes {
  frames: number
  medianFrameMs: number
  p95FrameMs: number
  medianOverlayDrawMs: number
  p95OverlayDrawMs: number
}

const quantile = (xs: number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length ? s[Math.min(s.length - 1, Math.floor(q * s.length))]! : NaN
}

/** Animated zoom in/out and pans for `ms`, timing every animation frame (rAF deltas) and every overlay draw. */
export async function measurePanZoom(page: Page, ms: number): Promise<FrameTimes> {
  const raw = await page.evaluate(async (duration) => {
    const v = (globalThis as unknown as PageGlobals).tesseraViewer!
    const delta = (dx: number, dy: number): { x: number; y: number } => {
      const p = v.osd.viewport.getCenter()
      p.x = dx
      p.y = dy
      return p
    }
    v.session.overlays.resetTimings()
    const deltas: number[] = []
    const raf = (globalThis as unknown as PageGlobals).requestAnimationFrame.bind(globalThis)
    let last = performance.now()
    let running = true
    const tick = (now: number): void => {
      deltas.push(now - last)
      last = now
      if (running) raf(tick)
    }
    raf((now: number) => {
      last = now
      raf(tick)
    })
    const moves: (() => void)[] = [
      () => v.osd.viewport.zoomBy(2.5),
      () => v.osd.viewport.panBy(delta(0.08, 0.04)),
      () => v.osd.viewport.zoomBy(0.4),
      () => v.osd.viewport.panBy(delta(-0.08, -0.04))
    ]
    const started = performance.now()
    for (let i = 0; performance.now() - started < duration; i++) {
      moves[i % moves.length]!()
      await new Promise((r) => setTimeout(r, 450))
    }
    running = false
    const draws = v.session.overlays.drawTimings()
    return { deltas: deltas.slice(1), draws }
  }, ms)
  return {
    frames: raw.deltas.length,
    medianFrameMs: quantile(raw.deltas, 0.5),
    p95FrameMs: quantile(raw.deltas, 0.95),
    medianOverlayDrawMs: quantile(raw.draws, 0.5),
    p95OverlayDrawMs: quantile(raw.draws, 0.95)
  }
}
