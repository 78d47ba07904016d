// Loads Tessera's optional native CPU kernels (native/dnnl: oneDNN convolutions and more, a Node-API addon) and says why not
// when it cannot: not built (other OS, no libdnnl-dev, failed build), failed to load, or switched off by
// TESSERA_NATIVE_KERNELS=0. Thread count: TESSERA_NATIVE_THREADS, else every core (one training process uses them all).
import { createRequire } from 'node:module'
import { existsSync } from 'node:fs'
import { cpus } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { BN_GRAD_KERNEL, BN_TRAIN_KERNEL } from '../nn/batch-norm-kernels'
import { ADAMW_KERNEL, SUM_SQUARES_KERNEL } from '../mcm/optimizer-kernels'

/** Offsets are byte offsets into the wasm memory; params: N,H,W,Ci,Co,kh,kw,sh,sw,dh,dw,padT,padL,padB,padR,Ho,Wo. */
export type ConvEntry = (memory: ArrayBuffer, offA: number, offB: number, offOut: number, params: Int32Array) => void

/** Byte offsets of the kernel's operands (inputs, then outputs) in the wasm memory, then its Int32Array parameters. */
export type HeapEntry = (memory: ArrayBuffer, ...offsetsThenParams: [...number[], Int32Array]) => void

export interface NativeAddon {
  convForward: ConvEntry
  convBackwardData: ConvEntry
  convBackwardWeights: ConvEntry
  /** (memory, offX, offDy, offDx, params: N,H,W,C,Ho,Wo,sh,sw,dh,dw,effKh,effKw,padT,padL) */
  maxPoolGrad: HeapEntry
  /** (memory, offX, offGamma, offBeta, offY, offMean, offVar, params: rows, C, bits of eps) */
  batchNormForward: HeapEntry
  /** (memory, offDy, offX, offMean, offVar, offGamma, offDx, offDGamma, offDBeta, params: rows, C, bits of eps) */
  batchNormBackward: HeapEntry
  /** (memory, offParam, offM, offV, offGrad, offParamOut, offMOut, offVOut, params: n, flags (1 clip, 2 decay), float32 bits of clip, b1, 1-b1, b2, 1-b2, bc1, bc2, eps, wd, lr) */
  adamwUpdate: HeapEntry
  /** (memory, offOut, table: (byte offset, element count) of each tensor, in fold order) */
  sumSquares(memory: ArrayBuffer, offOut: number, table: Float64Array): void
  setThreads(n: number): void
  info(): { oneDnnVersion: string; threads: number; processors: number; cpuIsa: number }
}

/** Every entry the kernels call: an addon built from older sources lacks some, and must not be half-used. */
const ADDON_ENTRIES = ['convForward', 'convBackwardData', 'convBackwardWeights', 'maxPoolGrad', 'batchNormForward', 'batchNormBackward', 'adamwUpdate', 'sumSquares', 'setThreads', 'info'] as const satisfies readonly (keyof NativeAddon)[]

export interface NativeStatus {
  available: boolean
  /** one line for `tessera backend` */
  reason: string
  threads: number
  addon: NativeAddon | null
}

/** The tfjs kernels the addon replaces on the wasm backend. */
export const nativeKernelNames = ['Conv2D', 'Conv2DBackpropInput', 'Conv2DBackpropFilter', 'MaxPoolGrad', BN_TRAIN_KERNEL, BN_GRAD_KERNEL, ADAMW_KERNEL, SUM_SQUARES_KERNEL] as const

const ADDON_FILE = join('native', 'dnnl', 'build', 'tessera_dnnl.node')

/** Repository roots to look in: relative to this module (src-main/ml/native-kernels or a bundle in out/), then cwd. */
function candidates(): string[] {
  const here = fileURLToPath(new URL('.', import.meta.url))
  const roots = [resolve(here, '../../..'), resolve(here, '../..'), resolve(here, '..'), process.cwd()]
  const env = process.env['TESSERA_NATIVE_ADDON']
  return [...(env ? [env] : []), ...roots.map((r) => join(r, ADDON_FILE))]
}

function isaName(code: number): string {
  // dnnl_cpu_isa_t values of oneDNN 2.6 (bit sets); unknown codes are printed as numbers
  const names: Record<number, string> = { 0x1: 'sse41', 0x3: 'avx', 0x7: 'avx2', 0x27: 'avx512_core', 0x67: 'avx512_core_vnni', 0xe7: 'avx512_core_bf16', 0x3e7: 'avx512_core_amx' }
  return names[code] ?? `isa ${code}`
}

let cached: NativeStatus | null = null

/** True when the user switched the native kernels off (TESSERA_NATIVE_KERNELS=0|off|false): a choice, not a failure. */
export function nativeSwitchedOff(): boolean {
  const flag = process.env['TESSERA_NATIVE_KERNELS']
  return flag === '0' || flag === 'off' || flag === 'false'
}

export function nativeStatus(): NativeStatus {
  if (cached) return cached
  const off = (reason: string): NativeStatus => ({ available: false, reason, threads: 0, addon: null })
  if (nativeSwitchedOff()) return (cached = off('native kernels switched off (TESSERA_NATIVE_KERNELS=0)'))
  const file = candidates().find((f) => existsSync(f))
  if (!file) return (cached = off(`native kernels not built (${ADDON_FILE} missing: run \`npm run build:native\`, needs libdnnl-dev and g++)`))
  try {
    // libgomp reads this once, when the addon loads it. Passive: idle OpenMP threads sleep instead of spinning, so the
    // single-threaded wasm kernels between convolutions keep both cores (and a shared machine is not starved).
    process.env['OMP_WAIT_POLICY'] ??= 'PASSIVE'
    const addon = createRequire(import.meta.url)(file) as NativeAddon
    // a stale build (sources updated, `npm run build:native` not rerun) would fail at the first training step instead
    const missing = ADDON_ENTRIES.filter((k) => typeof (addon as unknown as Record<string, unknown>)[k] !== 'function')
    if (missing.length > 0) return (cached = off(`native addon ${file} is older than the sources (it has no ${missing.join(', ')}): rebuild it with \`npm run build:native\``))
    const wanted = Number(process.env['TESSERA_NATIVE_THREADS'] ?? cpus().length)
    const threads = Number.isInteger(wanted) && wanted >= 1 ? wanted : cpus().length
    addon.setThreads(threads)
    const info = addon.info()
    return (cached = { available: true, threads, addon,
      reason: `native kernels (${nativeKernelNames.join(', ')}; convolutions on oneDNN ${info.oneDnnVersion}; the fused BatchNorm pair unless TESSERA_FUSED_BATCHNORM=0), ${threads} thread(s), ${isaName(info.cpuIsa)}` })
  } catch (err) {
    return (cached = off(`native kernels failed to load (${file}): ${(err as Error).message.split('\n')[0]}`))
  }
}

/** For tests: forget the cached status so a changed TESSERA_NATIVE_KERNELS is read again. */
export function resetNativeStatus(): void {
  cached = null
}
