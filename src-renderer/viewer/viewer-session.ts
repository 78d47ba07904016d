// One open slide in the viewer, framework-free: the overlay canvas, hover → level-0 → patch → context window,
// and the keyboard shortcuts. The Vue view owns the state shown in panels and calls into this.
import OpenSeadragon from 'openseadragon'
import { OverlayCanvas } from './overlay-canvas'
import { toLevel0 } from './coords'
import { cellAt, contextWindowOf, type PatchGrid } from './overlays/grid-geometry'
import { windowOverlay, type WindowOverlayState } from './overlays/layers'

export interface HoverInfo {
  /** level-0 px under the cursor */
  x: number
  y: number
  col: number | null
  row: number | null
  /** patch index, −1 on background */
  patch: number
}

export interface ViewerSessionOptions {
  /** context window size s (cells) shown on hover */
  windowSize: number
  onHover(info: HoverInfo | null): void
  /** after every redraw (scale bar, zoom readout) */
  onView(): void
  /** a shortcut toggled an overlay */
  onToggle(id: string): void
}

/** Shortcut key → overlay id. Zoom keys are handled separately. */
export const OVERLAY_KEYS: Record<string, string> = { g: 'grid', t: 'tissue', c: 'window', m: 'masked', e: 'error', h: 'attention' }

export class ViewerSession {
  readonly overlays: OverlayCanvas
  private grid: PatchGrid | null = null
  private readonly windowState: WindowOverlayState = { window: null }
  private readonly tracker: OpenSeadragon.MouseTracker
  private readonly onKey = (e: KeyboardEvent): void => this.key(e)
  private readonly onViewport = (): void => this.options.onView()

  constructor(
    readonly osd: OpenSeadragon.Viewer,
    private readonly options: ViewerSessionOptions
  ) {
    this.overlays = new OverlayCanvas(osd)
    osd.addHandler('update-viewport', this.onViewport)
    this.tracker = new OpenSeadragon.MouseTracker({
      element: osd.canvas,
      moveHandler: (e) => this.hover(e.position as OpenSeadragon.Point),
      leaveHandler: () => this.hover(null)
    })
    // OSD's own keys (w/a/s/d pan, r rotate, f flip) would clash with ours: all keys go through key() instead
    osd.addHandler('canvas-key', (e) => {
      e.preventDefaultAction = true
    })
    window.addEventListener('keydown', this.onKey)
  }

  setGrid(grid: PatchGrid | null): void {
    this.grid = grid
    this.windowState.window = null
    if (grid) this.overlays.set(windowOverlay(grid, this.windowState))
    else this.overlays.remove('window')
  }

  setWindowSize(s: number): void {
    this.options.windowSize = s
  }

  /** Hover at an element position (CSS px), or leave. Exposed for tests that drive the pointer. */
  hover(position: { x: number; y: number } | null): void {
    const t = position ? this.overlays.transform() : null
    if (!position || !t) {
      this.windowState.window = null
      this.options.onHover(null)
      this.overlays.requestDraw()
      return
    }
    const p = toLevel0(t, position.x, position.y)
    const grid = this.grid
    const cell = grid ? cellAt(grid, p.x, p.y) : null
    const patch = grid && cell ? (grid.cell[cell.row * grid.cols + cell.col] ?? -1) : -1
    this.windowState.window = grid && cell && patch >= 0 ? contextWindowOf(grid, cell.col, cell.row, this.options.windowSize) : null
    this.options.onHover({ x: p.x, y: p.y, col: cell?.col ?? null, row: cell?.row ?? null, patch })
    this.overlays.requestDraw()
  }

  private key(e: KeyboardEvent): void {
    const target = e.target as HTMLElement | null
    // typing in a text field must not toggle overlays; checkboxes, sliders and buttons keep the shortcuts
    const typing = target instanceof HTMLInputElement ? !['checkbox', 'radio', 'range', 'button'].includes(target.type) : false
    if (typing || target?.tagName === 'TEXTAREA' || target?.tagName === 'SELECT' || target?.isContentEditable) return
    if (e.ctrlKey || e.metaKey || e.altKey) return
    const vp = this.osd.viewport
    if (e.key === '+' || e.key === '=') vp.zoomBy(1.5)
    else if (e.key === '-' || e.key === '_') vp.zoomBy(1 / 1.5)
    else if (e.key === '0') vp.goHome()
    else if (e.key.startsWith('Arrow')) {
      const d = 0.1 / vp.getZoom()
      const [dx, dy] = { ArrowLeft: [-d, 0], ArrowRight: [d, 0], ArrowUp: [0, -d], ArrowDown: [0, d] }[e.key] ?? [0, 0]
      vp.panBy(new OpenSeadragon.Point(dx, dy))
    }
    else if (OVERLAY_KEYS[e.key]) this.options.onToggle(OVERLAY_KEYS[e.key] as string)
    else return
    vp.applyConstraints()
    e.preventDefault()
  }

  destroy(): void {
    window.removeEventListener('keydown', this.onKey)
    this.osd.removeHandler('update-viewport', this.onViewport)
    this.tracker.destroy()
    this.overlays.destroy()
  }
}
