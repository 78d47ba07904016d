// Names of the optional fused BatchNorm training kernels. A backend may register them (native-kernels/ does, for wasm,
// when the native addon is loaded); batchNorm2d then runs one kernel per direction instead of ~20 small ops.
import * as tf from '@tensorflow/tfjs'

/** inputs x [N,H,W,C], gamma [C], beta [C]; attr eps → [y, batch mean, biased batch variance] */
export const BN_TRAIN_KERNEL = 'TesseraBatchNormTrain'
/** inputs dy, x, mean, variance, gamma; attr eps → [dx, dgamma, dbeta] */
export const BN_GRAD_KERNEL = 'TesseraBatchNormGrad'

/**
 * Whether batchNorm2d uses the fused kernels: by default wherever the active backend has both (wasm with the native
 * addon; checked per call: a cheap registry lookup); TESSERA_FUSED_BATCHNORM=0 (or off/false) switches them off.
 * Default since the kink-aware parity fixture (tests/fixtures/torch/parity_margin.json): there it passes every check at
 * 1e-4 against torch float32 and float64 with errors within 2x of the composite path's. On the 224 fixture it flips one
 * layer3.1.bn1 activation that lies inside every float32 path's noise of the ReLU kink, which moves the early-layer
 * gradients 1 %; the composite path does the same on 3 of 4 other inputs (docs/cpu-profile.md §3c).
 */
export function fusedBatchNormAvailable(): boolean {
  if (fusedBatchNormSwitchedOff()) return false
  const backend = tf.getBackend()
  return tf.getKernel(BN_TRAIN_KERNEL, backend) !== undefined && tf.getKernel(BN_GRAD_KERNEL, backend) !== undefined
}

/** TESSERA_FUSED_BATCHNORM=0|off|false: keep the composite BatchNorm even where the fused kernels are registered. */
export function fusedBatchNormSwitchedOff(): boolean {
  const flag = process.env['TESSERA_FUSED_BATCHNORM']
  return flag === '0' || flag === 'off' || flag === 'false'
}
