// Per-window masks: a ratio of the s×s cells, random or block-wise; never all cells, at least one when s > 1.
import type { McmConfig } from '../../../src-shared/contracts/train'
import { Rng, STREAM } from './rng'
import type { ContextWindow } from './windows'

/** Number of masked cells for a window of s×s at `ratio`: clamp(round(ratio·s²), 1, s²−1); 0 for s = 1. */
export function maskedCount(s: number, ratio: number): number {
  const n = s * s
  if (n === 1) return 0
  return Math.min(n - 1, Math.max(1, Math.round(ratio * n)))
}

/** Mask of one window, row-major, true = masked. s = 1 gives [false] (no-context KD: the patch is its own input). */
export function makeMask(s: number, ratio: number, strategy: McmConfig['mask']['strategy'], rng: Rng): boolean[] {
  const n = s * s
  const mask = new Array<boolean>(n).fill(false)
  const k = maskedCount(s, ratio)
  if (k === 0) return mask
  if (strategy === 'random') {
    const order = rng.shuffle(Array.from({ length: n }, (_, i) => i))
    for (let i = 0; i < k; i++) mask[order[i] as number] = true
    return mask
  }
  // block-wise: union of random rectangles until at least k cells; each block's side ≤ ceil(s·√ratio)
  const side = Math.max(1, Math.ceil(s * Math.sqrt(ratio)))
  let count = 0
  for (let guard = 0; count < k && guard < 1000; guard++) {
    const h = 1 + rng.int(side)
    const w = 1 + rng.int(side)
    const r0 = rng.int(s - h + 1)
    const c0 = rng.int(s - w + 1)
    for (let r = r0; r < r0 + h; r++) {
      for (let c = c0; c < c0 + w; c++) {
        if (!mask[r * s + c]) {
          mask[r * s + c] = true
          count++
        }
      }
    }
  }
  // blocks may overshoot: unmask random masked cells until ≤ s²−1 … and never more than k + one block's worth
  while (count > n - 1) {
    const i = rng.int(n)
    if (mask[i]) {
      mask[i] = false
      count--
    }
  }
  return mask
}

/**
 * Mask of a training visit — a pure function of the seed. Random strategy with a cover: the visit masks slice `pass` of
 * a seeded permutation of the window's cells (cyclically), so the visits of one window cover every cell. Otherwise an
 * independent draw keyed by the plan position.
 */
export function trainingMask(cfg: McmConfig, window: ContextWindow, pos: number): boolean[] {
  const s = cfg.window.size
  const n = s * s
  const k = maskedCount(s, cfg.mask.ratio)
  if (cfg.mask.strategy === 'random' && window.cover && k > 0) {
    const perm = Rng.keyed(cfg.seed, STREAM.mask, window.cover.key).shuffle(Array.from({ length: n }, (_, i) => i))
    const mask = new Array<boolean>(n).fill(false)
    for (let j = 0; j < k; j++) mask[perm[(window.cover.pass * k + j) % n] as number] = true
    return mask
  }
  return makeMask(s, cfg.mask.ratio, cfg.mask.strategy, Rng.keyed(cfg.seed, STREAM.mask, pos))
}

/** Fixed mask of held-out window i (independent of training). */
export function heldOutMask(cfg: McmConfig, i: number): boolean[] {
  return makeMask(cfg.window.size, cfg.mask.ratio, cfg.mask.strategy, Rng.keyed(cfg.seed, STREAM.heldOut, 1, i))
}

/** Student images (visible patches) of the first `steps` steps of a plan: the budget a matched ablation must spend. */
export function planImages(plan: readonly ContextWindow[], cfg: McmConfig, steps: number): number {
  const n = cfg.window.size * cfg.window.size
  let images = 0
  const end = Math.min(plan.length, steps * cfg.batchWindows)
  for (let pos = 0; pos < end; pos++) images += n === 1 ? 1 : trainingMask(cfg, plan[pos] as ContextWindow, pos).filter((m) => !m).length
  return images
}
