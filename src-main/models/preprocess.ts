// Patch preprocessing from a model manifest: RGBA → RGB on white, bilinear resize to the input size, (x/255 − mean)/std,
// packed as NCHW float32. Pure JS (no TF.js) so the CLI, the jobs and the ONNX adapter share it.
import type { RgbaImage } from '../slides/slide-source'

export interface Preprocessing {
  inputSize: number
  /** per channel, on 0..1 values (ImageNet: 0.485, 0.456, 0.406) */
  mean: readonly number[]
  std: readonly number[]
}

/**
 * Write one patch into `out` at sample `slot` of an NCHW batch. Transparent pixels (outside the slide) are composited
 * on white, the usual background. Resizing is bilinear with half-pixel centres (as torchvision's antialias=False).
 */
export function writePatchNchw(img: RgbaImage, p: Preprocessing, out: Float32Array, slot: number): void {
  const s = p.inputSize
  const plane = s * s
  const base = slot * 3 * plane
  if (out.length < base + 3 * plane) throw new Error(`batch buffer too small for sample ${slot}`)
  if (img.data.length < img.width * img.height * 4) throw new Error(`image data holds fewer than ${img.width}×${img.height} RGBA pixels`)
  const sx = img.width / s
  const sy = img.height / s
  const scale = [0, 1, 2].map((c) => 1 / (255 * (p.std[c] as number)))
  const shift = [0, 1, 2].map((c) => (p.mean[c] as number) / (p.std[c] as number))
  const px = (x: number, y: number, c: number): number => {
    const i = (y * img.width + x) * 4
    const a = (img.data[i + 3] as number) / 255
    return (img.data[i + c] as number) * a + 255 * (1 - a)
  }
  const same = img.width === s && img.height === s
  for (let y = 0; y < s; y++) {
    const fy = Math.min(Math.max((y + 0.5) * sy - 0.5, 0), img.height - 1)
    const y0 = Math.floor(fy)
    const y1 = Math.min(y0 + 1, img.height - 1)
    const wy = fy - y0
    for (let x = 0; x < s; x++) {
      const fx = Math.min(Math.max((x + 0.5) * sx - 0.5, 0), img.width - 1)
      const x0 = Math.floor(fx)
      const x1 = Math.min(x0 + 1, img.width - 1)
      const wx = fx - x0
      for (let c = 0; c < 3; c++) {
        const v = same
          ? px(x, y, c)
          : (px(x0, y0, c) * (1 - wx) + px(x1, y0, c) * wx) * (1 - wy) + (px(x0, y1, c) * (1 - wx) + px(x1, y1, c) * wx) * wy
        out[base + c * plane + y * s + x] = v * (scale[c] as number) - (shift[c] as number)
      }
    }
  }
}

/** A whole batch of patches as one NCHW tensor buffer. */
export function toNchwBatch(images: readonly RgbaImage[], p: Preprocessing): Float32Array {
  const out = new Float32Array(images.length * 3 * p.inputSize * p.inputSize)
  images.forEach((img, i) => writePatchNchw(img, p, out, i))
  return out
}
