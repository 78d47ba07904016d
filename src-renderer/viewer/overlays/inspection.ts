// Masked-prediction overlay from a training run's inspection data: for each inspected s×s window of this slide,
// masked cells coloured by cosine(prediction, teacher) before or after fine-tuning; lookup for the hover readout.
import type { Overlay } from '../overlay-canvas'
import type { PatchGrid } from './grid-geometry'
import { colorOf } from '../colormap'
import type { InspectedWindow } from '../../../src-shared/contracts/train'

/** One inspected window: the train contract's InspectedWindow without the slide name. */
export type MaskedWindow = Omit<InspectedWindow, 'slide'>

export interface MaskedCellInfo {
  window: number
  masked: boolean
  before: number | null
  after: number | null
}

/** Inspection values at grid cell (col,row), or null when no inspected window covers it. */
export function maskedCellAt(windows: readonly MaskedWindow[], col: number, row: number): MaskedCellInfo | null {
  for (let w = 0; w < windows.length; w++) {
    const win = windows[w] as MaskedWindow
    const dc = col - win.col
    const dr = row - win.row
    if (dc < 0 || dr < 0 || dc >= win.size || dr >= win.size) continue
    const i = dr * win.size + dc
    return { window: w, masked: win.mask[i] === true, before: win.cosineBefore[i] ?? null, after: win.cosineAfter[i] ?? null }
  }
  return null
}

/** Outline every inspected window; fill masked cells with the cosine colour of the chosen phase (−1 blue … +1 red). */
export function maskedPredictionOverlay(grid: PatchGrid, windows: readonly MaskedWindow[], phase: () => 'before' | 'after'): Overlay {
  return {
    id: 'masked',
    visible: false,
    opacity: 0.85,
    draw({ ctx, t }) {
      const cell = grid.size * t.scale
      for (const win of windows) {
        const values = phase() === 'before' ? win.cosineBefore : win.cosineAfter
        for (let i = 0; i < win.size * win.size; i++) {
          if (win.mask[i] !== true) continue
          const x = (win.col + (i % win.size)) * grid.step * t.scale + t.offsetX
          const y = (win.row + Math.floor(i / win.size)) * grid.step * t.scale + t.offsetY
          const v = values[i]
          ctx.fillStyle = v === null || v === undefined ? 'rgba(255,255,255,0.4)' : `rgb(${colorOf('diverging', v, -1, 1).join(',')})`
          ctx.fillRect(x, y, cell, cell)
        }
        const span = (win.size - 1) * grid.step * t.scale + cell
        ctx.lineWidth = 2
        ctx.strokeStyle = 'rgb(255,255,255)'
        ctx.strokeRect(win.col * grid.step * t.scale + t.offsetX, win.row * grid.step * t.scale + t.offsetY, span, span)
      }
    }
  }
}
