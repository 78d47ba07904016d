// Installs the native oneDNN kernels over the wasm backend's (after the wasm shims), when the addon is available and
// not switched off; otherwise the wasm shims stay and nativeKernelsState() says why (shown by `tessera backend`).
import * as tf from '@tensorflow/tfjs'
import { nativeKernelNames, nativeStatus, type NativeStatus } from './addon'
import { nativeConv2dKernel } from './conv2d'
import { nativeConv2dBackpropFilterKernel } from './conv2d-backprop-filter'
import { nativeConv2dBackpropInputKernel } from './conv2d-backprop-input'
import { nativeMaxPoolGradKernel } from './max-pool-grad'
import { nativeBatchNormGradKernel } from './batch-norm-grad'
import { nativeBatchNormTrainKernel } from './batch-norm-train'
import { nativeAdamWKernel } from './adamw'
import { nativeSumSquaresKernel } from './sum-squares'

export { nativeKernelNames }

let installed = false

/** Registers the native kernels for 'wasm' (idempotent). Returns the status; a missing addon is not an error. */
export function installNativeKernels(): NativeStatus {
  const status = nativeStatus()
  if (installed || !status.addon) return status
  for (const config of [nativeConv2dKernel(status.addon), nativeConv2dBackpropInputKernel(status.addon), nativeConv2dBackpropFilterKernel(status.addon),
    nativeMaxPoolGradKernel(status.addon), nativeBatchNormTrainKernel(status.addon), nativeBatchNormGradKernel(status.addon),
    nativeAdamWKernel(status.addon), nativeSumSquaresKernel(status.addon)]) {
    if (tf.getKernel(config.kernelName, 'wasm')) tf.unregisterKernel(config.kernelName, 'wasm')
    tf.registerKernel(config)
  }
  installed = true
  return status
}

export function nativeKernelsInstalled(): boolean {
  return installed
}
