// Overlay of per-patch scores (MIL attention): the point lattice drawn as one raster stretched over the slide.
import type { Overlay } from '../overlay-canvas'
import { colorOf, type ColorScaleName } from '../colormap'
import type { PointMap } from './point-lattice'

export { buildPointMap, type PointMap } from './point-lattice'

export function pointMapOverlay(id: string, map: PointMap, scale: ColorScaleName, range: { min: number; max: number }): Overlay {
  const image = document.createElement('canvas')
  image.width = map.cols
  image.height = map.rows
  const ctx = image.getContext('2d')
  if (ctx) {
    const px = new Uint8ClampedArray(map.cols * map.rows * 4)
    map.values.forEach((v, i) => {
      if (!Number.isFinite(v)) return
      const [r, g, b] = colorOf(scale, v, range.min, range.max)
      px.set([r, g, b, 255], i * 4)
    })
    ctx.putImageData(new ImageData(px, map.cols, map.rows), 0, 0)
  }
  return {
    id,
    visible: false,
    opacity: 0.6,
    draw({ ctx: out, t }) {
      out.imageSmoothingEnabled = false
      out.drawImage(image, t.offsetX, t.offsetY, map.cols * map.patchSize * t.scale, map.rows * map.patchSize * t.scale)
    }
  }
}
