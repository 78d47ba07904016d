// Names of the optional fused BatchNorm training kernels. A backend may register them (native-kernels/ does, for wasm,
// when the native addon is loaded); batchNorm2d then runs one kernel per direction instead of ~20 small ops.
import * as tf from '@tensorflow/tfjs'

/** inputs x [N,H,W,C], gamma [C], beta [C]; attr eps → [y, batch mean, biased batch variance] */
export const BN_TRAIN_KERNEL = 'TesseraBatchNormTrain'
/** inputs dy, x, mean, variance, gamma; attr eps → [dx, dgamma, dbeta] */
export const BN_GRAD_KERNEL = 'TesseraBatchNormGrad'

/**
 * Whether batchNorm2d uses the fused kernels: only when TESSERA_FUSED_BATCHNORM=1 (opt-in) and the active backend has
 * both (checked per call: a cheap registry lookup). Opt-in because on the PyTorch parity fixture the fused forward's
 * rounding puts one layer3.1.bn1 activation (float64 truth +2.3e-6, inside every float32 path's noise) on the other side
 * of the ReLU, which moves the early-layer gradients 1 % from torch and from the float64 truth; per-layer accuracy is
 * the same as the composite path's (docs/cpu-profile.md §3c).
 */
export function fusedBatchNormAvailable(): boolean {
  if (process.env['TESSERA_FUSED_BATCHNORM'] !== '1') return false
  const backend = tf.getBackend()
  return tf.getKernel(BN_TRAIN_KERNEL, backend) !== undefined && tf.getKernel(BN_GRAD_KERNEL, backend) !== undefined
}
