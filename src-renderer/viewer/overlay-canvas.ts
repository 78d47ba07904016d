// ONE canvas over the OpenSeadragon viewer on which every overlay draws, redrawn in OSD's 'update-viewport'
// (fired once per animation frame, right before tiles draw) so overlays move in lockstep with the tiles.
// Overlays draw from level-0 coordinates through a single ViewTransform; no DOM node per patch.
import OpenSeadragon from 'openseadragon'
import { transformFrom, visibleLevel0, type Rect, type ViewTransform } from './coords'

export interface OverlayFrame {
  ctx: CanvasRenderingContext2D
  /** level-0 → CSS px of the viewer element */
  t: ViewTransform
  /** visible level-0 rectangle */
  view: Rect
  /** element size in CSS px */
  width: number
  height: number
  /** device pixels per CSS px; the context is pre-scaled by it (draw in CSS px) */
  dpr: number
}

export interface Overlay {
  id: string
  visible: boolean
  /** 0..1, applied as globalAlpha */
  opacity: number
  draw(frame: OverlayFrame): void
}

/** Draw timings kept for the frame-time readout and the e2e measurement (ring of the last N). */
const TIMING_RING = 600

export class OverlayCanvas {
  readonly canvas: HTMLCanvasElement
  private readonly overlays: Overlay[] = []
  private readonly timings: number[] = []
  private frameRequested = false
  private readonly onViewport = (): void => this.draw()

  constructor(private readonly osd: OpenSeadragon.Viewer) {
    this.canvas = document.createElement('canvas')
    this.canvas.className = 'tessera-overlay'
    this.canvas.dataset['testid'] = 'overlay-canvas'
    Object.assign(this.canvas.style, { position: 'absolute', left: '0', top: '0', width: '100%', height: '100%', pointerEvents: 'none' })
    osd.canvas.appendChild(this.canvas)
    osd.addHandler('update-viewport', this.onViewport)
    osd.addHandler('resize', this.onViewport)
  }

  /** Add or replace an overlay (by id), keeping its visibility/opacity if it existed. */
  set(overlay: Overlay): void {
    const i = this.overlays.findIndex((o) => o.id === overlay.id)
    if (i >= 0) {
      const old = this.overlays[i] as Overlay
      overlay.visible = old.visible
      overlay.opacity = old.opacity
      this.overlays[i] = overlay
    } else this.overlays.push(overlay)
    this.requestDraw()
  }

  remove(id: string): void {
    const i = this.overlays.findIndex((o) => o.id === id)
    if (i >= 0) this.overlays.splice(i, 1)
    this.requestDraw()
  }

  has(id: string): boolean {
    return this.overlays.some((o) => o.id === id)
  }

  setVisible(id: string, visible: boolean): void {
    const o = this.overlays.find((x) => x.id === id)
    if (o) o.visible = visible
    this.requestDraw()
  }

  setOpacity(id: string, opacity: number): void {
    const o = this.overlays.find((x) => x.id === id)
    if (o) o.opacity = Math.min(1, Math.max(0, opacity))
    this.requestDraw()
  }

  /** Redraw on the next animation frame (state changes outside OSD's own animation). */
  requestDraw(): void {
    if (this.frameRequested) return
    this.frameRequested = true
    requestAnimationFrame(() => {
      this.frameRequested = false
      this.draw()
    })
  }

  /** Current level-0 → element transform; null before the image opens. */
  transform(): ViewTransform | null {
    const item = this.osd.world.getItemCount() > 0 ? this.osd.world.getItemAt(0) : null
    if (!item) return null
    const width = item.source.dimensions.x
    return transformFrom((x, y) => item.imageToViewerElementCoordinates(new OpenSeadragon.Point(x, y)), width)
  }

  /** Milliseconds spent drawing overlays in recent frames (oldest first). */
  drawTimings(): number[] {
    return [...this.timings]
  }

  /** Forget recorded timings (start of a measurement). */
  resetTimings(): void {
    this.timings.length = 0
  }

  draw(): void {
    const started = performance.now()
    const rect = this.osd.canvas.getBoundingClientRect()
    const dpr = window.devicePixelRatio || 1
    const pw = Math.max(1, Math.round(rect.width * dpr))
    const ph = Math.max(1, Math.round(rect.height * dpr))
    if (this.canvas.width !== pw || this.canvas.height !== ph) {
      this.canvas.width = pw
      this.canvas.height = ph
    }
    const ctx = this.canvas.getContext('2d')
    if (!ctx) return
    ctx.setTransform(1, 0, 0, 1, 0, 0)
    ctx.clearRect(0, 0, pw, ph)
    const t = this.transform()
    if (!t) return
    const frame: OverlayFrame = { ctx, t, view: visibleLevel0(t, rect.width, rect.height), width: rect.width, height: rect.height, dpr }
    for (const o of this.overlays) {
      if (!o.visible || o.opacity <= 0) continue
      ctx.save()
      ctx.setTransform(dpr, 0, 0, dpr, 0, 0)
      ctx.globalAlpha = o.opacity
      o.draw(frame)
      ctx.restore()
    }
    this.timings.push(performance.now() - started)
    if (this.timings.length > TIMING_RING) this.timings.shift()
  }

  destroy(): void {
    this.osd.removeHandler('update-viewport', this.onViewport)
    this.osd.removeHandler('resize', this.onViewport)
    this.canvas.remove()
  }
}
