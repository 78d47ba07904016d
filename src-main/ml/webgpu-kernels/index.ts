// Installs Tessera's own WGSL kernels over tfjs-backend-webgpu's (like native-kernels/ for wasm), unless switched off
// with TESSERA_WEBGPU_KERNELS=0; webgpuKernelsLabel() names them for the backend report and run records.
import * as tf from '@tensorflow/tfjs'
import type { KernelConfig, KernelFunc } from '@tensorflow/tfjs'
import { webgpuConv2dBackpropFilterKernel, type SplitKOptions } from './conv2d-backprop-filter'
import { webgpuSumKernel, type SplitROptions } from './sum'

export const webgpuKernelNames = ['Conv2DBackpropFilter', 'Sum'] as const

/** tfjs's own kernels, kept to restore them (uninstall) and as the fallback for layouts ours do not cover */
const original = new Map<string, KernelConfig>()
let installed: readonly string[] = []

/** False when TESSERA_WEBGPU_KERNELS=0 (tfjs-webgpu's kernels only, e.g. to compare or to rule ours out). */
export function webgpuKernelsWanted(): boolean {
  return process.env['TESSERA_WEBGPU_KERNELS'] !== '0'
}

export interface WebgpuKernelOptions { splitK?: SplitKOptions; splitR?: SplitROptions }

/**
 * Registers our kernels for 'webgpu' (replacing any earlier install, so tests may pass other split-K options) unless
 * switched off. Needs tfjs-backend-webgpu imported (its kernels registered). Returns the names installed.
 */
export function installWebgpuKernels(opts: WebgpuKernelOptions = {}): readonly string[] {
  if (!webgpuKernelsWanted()) {
    uninstallWebgpuKernels()
    return installed
  }
  for (const name of webgpuKernelNames) {
    if (!original.has(name)) {
      const tfjs = tf.getKernel(name, 'webgpu')
      if (!tfjs) throw new Error(`cannot install the WGSL ${name}: tfjs-backend-webgpu has no ${name} kernel registered (not imported?)`)
      original.set(name, tfjs)
    }
  }
  const fallback = (name: string): KernelFunc => (original.get(name) as KernelConfig).kernelFunc as KernelFunc
  const ours = [webgpuConv2dBackpropFilterKernel(fallback('Conv2DBackpropFilter'), opts.splitK), webgpuSumKernel(fallback('Sum'), opts.splitR)]
  for (const config of ours) {
    if (tf.getKernel(config.kernelName, 'webgpu')) tf.unregisterKernel(config.kernelName, 'webgpu')
    tf.registerKernel(config)
  }
  installed = ours.map((c) => c.kernelName)
  return installed
}

/** Puts tfjs-webgpu's own kernels back. */
export function uninstallWebgpuKernels(): void {
  for (const [name, config] of original) {
    if (tf.getKernel(name, 'webgpu')) tf.unregisterKernel(name, 'webgpu')
    tf.registerKernel(config)
  }
  installed = []
}

export function webgpuKernelsInstalled(): readonly string[] {
  return installed
}

/** Whether the kernel tfjs dispatches for `name` on webgpu is ours right now (not tfjs-webgpu's). */
export function webgpuKernelActive(name: string): boolean {
  const now = tf.getKernel(name, 'webgpu')
  return installed.includes(name) && now !== undefined && now.kernelFunc !== original.get(name)?.kernelFunc
}

/** For the adapter string of run records: which kernels the webgpu backend runs on (before or after install). */
export function webgpuKernelsLabel(): string {
  return webgpuKernelsWanted() ? `Tessera WGSL kernels: ${webgpuKernelNames.join(', ')}` : 'tfjs-webgpu kernels only (TESSERA_WEBGPU_KERNELS=0)'
}
