// Installs Tessera's kernel shims on the wasm backend (idempotent). Call after tf.setBackend('wasm') or at least
// after @tensorflow/tfjs-backend-wasm is imported. Depthwise conv gradients are not shimmed: no zoo model uses them.
import * as tf from '@tensorflow/tfjs'
import { batchMatMulKernel } from './batch-matmul'
import { conv2dBackpropFilterKernel } from './conv2d-backprop-filter'
import { conv2dBackpropInputKernel } from './conv2d-backprop-input'

let installed = false

export const shimmedKernels = ['Conv2DBackpropFilter', 'Conv2DBackpropInput', 'BatchMatMul'] as const

export function installWasmKernels(): void {
  if (installed) return
  // build all configs first: they capture the stock wasm kernels they are built from (BatchMatMul wraps the original)
  const configs = [conv2dBackpropFilterKernel(), conv2dBackpropInputKernel(), batchMatMulKernel()]
  for (const config of configs) {
    if (tf.getKernel(config.kernelName, 'wasm')) tf.unregisterKernel(config.kernelName, 'wasm')
    tf.registerKernel(config)
  }
  installed = true
}

export function wasmKernelsInstalled(): boolean {
  return installed
}
