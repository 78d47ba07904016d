// Patch augmentation (dihedral flips/rot90, optional brightness/contrast jitter) and student normalisation.
// Only the student's input is augmented; the teacher targets are the cached features of the unaugmented patch.
import type { McmConfig } from '../../../src-shared/contracts/train'
import type { Rng } from './rng'

export interface PatchAugment {
  /** rotations by 90° (0–3), then horizontal flip */
  rot: number
  flip: boolean
  brightness: number
  contrast: number
}

export const IDENTITY_AUGMENT: PatchAugment = { rot: 0, flip: false, brightness: 0, contrast: 1 }

export function drawAugment(cfg: McmConfig['augment'], rng: Rng): PatchAugment {
  const rot = cfg.rot90 ? rng.int(4) : 0
  const flip = cfg.flips ? rng.next() < 0.5 : false
  const j = cfg.colorJitter
  const brightness = j > 0 ? (rng.next() * 2 - 1) * j : 0
  const contrast = j > 0 ? 1 + (rng.next() * 2 - 1) * j : 1
  return { rot, flip, brightness, contrast }
}

/**
 * Write one augmented, normalised patch (HWC RGB uint8, p×p) into `out` at `offset` as float32 HWC.
 * Pixel value v∈[0,1] → ((v·contrast + brightness) − mean) / std per channel.
 */
export function writeStudentInput(
  rgb: Uint8Array,
  p: number,
  aug: PatchAugment,
  mean: readonly number[],
  std: readonly number[],
  out: Float32Array,
  offset: number
): void {
  if (rgb.length !== p * p * 3) throw new Error(`patch has ${rgb.length} bytes, expected ${p}×${p}×3 = ${p * p * 3}`)
  for (let y = 0; y < p; y++) {
    for (let x = 0; x < p; x++) {
      // source coordinate of destination (x, y) under rot (counter-clockwise quarter turns) then flip
      let sx = aug.flip ? p - 1 - x : x
      let sy = y
      for (let r = 0; r < aug.rot; r++) {
        const t = sx
        sx = p - 1 - sy
        sy = t
      }
      const src = (sy * p + sx) * 3
      const dst = offset + (y * p + x) * 3
      for (let c = 0; c < 3; c++) {
        const v = ((rgb[src + c] ?? 0) / 255) * aug.contrast + aug.brightness
        out[dst + c] = (v - (mean[c] ?? 0)) / (std[c] ?? 1)
      }
    }
  }
}
