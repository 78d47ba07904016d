// Names and attributes of the optional fused optimizer kernels. A backend may register them (native-kernels/ does, for
// wasm, when the native addon is loaded); AdamW then runs one kernel per parameter tensor instead of ~10 ops, and the
// gradient norm one kernel instead of two ops per tensor plus a fold. Both are bit-identical to the op-by-op path.
import * as tf from '@tensorflow/tfjs'

/** inputs param, m, v, grad (same shape); attrs AdamWKernelAttrs → [new param, new m, new v] (fresh tensors) */
export const ADAMW_KERNEL = 'TesseraAdamW'
/** inputs x0 … x{n-1} (n ≥ 1, float32) → scalar Σ_i Σ x_i², summed as the op-by-op path sums (see sumSquares) */
export const SUM_SQUARES_KERNEL = 'TesseraSumSquares'

/**
 * The JS numbers the op-by-op update uses; the kernel rounds each to float32 as tfjs does when it makes a scalar tensor
 * of it (1 - b1 and 1 - b2 are formed in double first, as there). weightDecay 0: none; clip 1: no clipping multiply.
 */
export interface AdamWKernelAttrs {
  b1: number
  b2: number
  bc1: number
  bc2: number
  eps: number
  lr: number
  weightDecay: number
  clip: number
}

/** Whether the active backend has the fused kernel `name` (a registry lookup, cheap enough per step). */
export function fusedOptimizerKernel(name: typeof ADAMW_KERNEL | typeof SUM_SQUARES_KERNEL): boolean {
  return tf.getKernel(name, tf.getBackend()) !== undefined
}
