// Compute backend selection for TensorFlow.js: probes every candidate, picks the best, and says why others were skipped.
// Order: tensorflow (tfjs-node-gpu + CUDA GPU) → tensorflow (tfjs-node) → webgpu (Dawn `webgpu` + adapter) → wasm (with
// our kernel shims) → cpu (pure JS, ~1 GFLOP/s: tiny tests only). Forced with TESSERA_BACKEND or `force`.
// Quirk: tfjs-node(-gpu) are optional and not installed here (their install downloads libtensorflow), so they are imported
// dynamically by a computed specifier and reported "not installed"; importing either registers the 'tensorflow' backend.
import * as tf from '@tensorflow/tfjs'
import { existsSync } from 'node:fs'
import { installWasmKernels } from './wasm-kernels/index'

export type BackendName = 'tensorflow' | 'webgpu' | 'wasm' | 'cpu'
export const backendNames: readonly BackendName[] = ['tensorflow', 'webgpu', 'wasm', 'cpu']

export interface BackendProbe {
  /** backend plus the package it comes from, e.g. "tensorflow (@tensorflow/tfjs-node-gpu)" */
  name: string
  backend: BackendName
  available: boolean
  reason: string
}

export interface BackendReport {
  found: BackendProbe[]
  chosen: BackendName
  why: string
  /** tfjs version, for run records */
  tfjsVersion: string
}

export interface BackendOptions {
  /** force one backend (overrides TESSERA_BACKEND); throws if it is not available */
  force?: BackendName
}

async function importOptional(specifier: string): Promise<{ ok: true } | { ok: false; reason: string }> {
  try {
    await import(/* @vite-ignore */ specifier)
    return { ok: true }
  } catch (err) {
    const code = (err as { code?: string }).code
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') return { ok: false, reason: `${specifier} is not installed` }
    return { ok: false, reason: `${specifier} failed to load: ${(err as Error).message.split('\n')[0]}` }
  }
}

function cudaGpuPresent(): boolean {
  return existsSync('/proc/driver/nvidia/version') || existsSync('/dev/nvidia0')
}

async function probeTensorflow(): Promise<BackendProbe[]> {
  const probes: BackendProbe[] = []
  const gpuPkg = '@tensorflow/tfjs-node-gpu', cpuPkg = '@tensorflow/tfjs-node'
  if (!cudaGpuPresent()) {
    probes.push({ name: `tensorflow (${gpuPkg})`, backend: 'tensorflow', available: false, reason: 'no NVIDIA/CUDA GPU found (no /proc/driver/nvidia)' })
  } else {
    const r = await importOptional(gpuPkg)
    probes.push({ name: `tensorflow (${gpuPkg})`, backend: 'tensorflow', available: r.ok && tf.findBackend('tensorflow') !== null,
      reason: r.ok ? 'loaded; CUDA GPU present' : r.reason })
    if (r.ok) return probes
  }
  const r = await importOptional(cpuPkg)
  probes.push({ name: `tensorflow (${cpuPkg})`, backend: 'tensorflow', available: r.ok && tf.findBackend('tensorflow') !== null,
    reason: r.ok ? 'loaded (libtensorflow CPU)' : r.reason })
  return probes
}

let webgpuProbe: Promise<BackendProbe> | null = null

/** Linux: Dawn needs the Vulkan loader. Looking for it first avoids Dawn's own warning and stack trace on stderr. */
function vulkanLoaderMissing(): string | null {
  if (process.platform !== 'linux') return null
  const dirs = [...(process.env['LD_LIBRARY_PATH'] ?? '').split(':').filter(Boolean), '/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib64', '/usr/lib', '/lib/x86_64-linux-gnu', '/lib64']
  return dirs.some((d) => existsSync(`${d}/libvulkan.so.1`)) ? null : 'no Vulkan loader (libvulkan.so.1) found: install libvulkan1 and a GPU driver to use webgpu'
}

/** Installs Dawn's WebGPU globals (Node has no navigator.gpu) and asks for an adapter. Cached: Dawn init is slow. */
function probeWebgpu(): Promise<BackendProbe> {
  webgpuProbe ??= (async (): Promise<BackendProbe> => {
    const base = { name: 'webgpu (webgpu/Dawn + @tensorflow/tfjs-backend-webgpu)', backend: 'webgpu' as const }
    const missing = vulkanLoaderMissing()
    if (missing) return { ...base, available: false, reason: missing }
    try {
      const dawn = (await import('webgpu')) as { create: (opts: string[]) => unknown; globals: Record<string, unknown> }
      const g = globalThis as unknown as Record<string, unknown>
      if (!(g['navigator'] as { gpu?: unknown } | undefined)?.gpu) {
        Object.assign(g, dawn.globals)
        const gpu = dawn.create([])
        Object.defineProperty(globalThis, 'navigator', { value: { ...(g['navigator'] as object | undefined), gpu }, configurable: true, writable: true })
      }
      const gpu = (g['navigator'] as { gpu: { requestAdapter(): Promise<{ info?: { vendor?: string; description?: string } } | null> } }).gpu
      const adapter = await gpu.requestAdapter()
      if (!adapter) return { ...base, available: false, reason: 'Dawn found no WebGPU adapter (no Vulkan/Metal/D3D12 GPU usable)' }
      await import('@tensorflow/tfjs-backend-webgpu')
      const what = [adapter.info?.vendor, adapter.info?.description].filter(Boolean).join(' ')
      return { ...base, available: true, reason: `adapter found${what ? `: ${what}` : ''}` }
    } catch (err) {
      return { ...base, available: false, reason: `webgpu probe failed: ${(err as Error).message.split('\n')[0]}` }
    }
  })()
  return webgpuProbe
}

async function probeWasm(): Promise<BackendProbe> {
  const base = { name: 'wasm (@tensorflow/tfjs-backend-wasm + Tessera kernel shims)', backend: 'wasm' as const }
  try {
    await import('@tensorflow/tfjs-backend-wasm')
    return { ...base, available: true, reason: 'SIMD wasm, 1 thread per instance; training via shims (Conv2DBackpropFilter/Input, BatchMatMul)' }
  } catch (err) {
    return { ...base, available: false, reason: `failed to load: ${(err as Error).message}` }
  }
}

function requestedBackend(opts: BackendOptions): BackendName | undefined {
  const env = process.env['TESSERA_BACKEND']
  const forced = opts.force ?? (env ? (env as BackendName) : undefined)
  if (forced !== undefined && !backendNames.includes(forced)) {
    throw new Error(`unknown backend '${forced}' (TESSERA_BACKEND or --backend): choose one of ${backendNames.join(', ')}`)
  }
  return forced
}

/** Probes all backends (without switching) and says which one would be chosen and why. */
export async function describeBackends(opts: BackendOptions = {}): Promise<BackendReport> {
  const forced = requestedBackend(opts)
  const found: BackendProbe[] = [...(await probeTensorflow()), await probeWebgpu(), await probeWasm(),
    { name: 'cpu (@tensorflow/tfjs-backend-cpu, pure JS)', backend: 'cpu', available: true, reason: 'always present; about 1 GFLOP/s, for tiny tests only' }]
  const tfjsVersion = tf.version.tfjs
  if (forced) {
    const probe = found.find((p) => p.backend === forced && p.available)
    if (!probe) {
      const why = found.filter((p) => p.backend === forced).map((p) => `${p.name}: ${p.reason}`).join('; ')
      throw new Error(`backend '${forced}' was forced but is not available (${why})`)
    }
    return { found, chosen: forced, why: `forced by ${opts.force ? 'option' : 'TESSERA_BACKEND'}`, tfjsVersion }
  }
  const best = found.find((p) => p.available) as BackendProbe
  const skipped = found.slice(0, found.indexOf(best)).map((p) => `${p.name}: ${p.reason}`)
  const why = skipped.length ? `best available; skipped ${skipped.join('; ')}` : 'best available'
  return { found, chosen: best.backend, why, tfjsVersion }
}

/** Probes, switches tfjs to the chosen backend (installing the wasm shims when wasm) and returns the report. */
export async function initBackend(opts: BackendOptions = {}): Promise<BackendReport> {
  const report = await describeBackends(opts)
  await useBackend(report.chosen)
  return report
}

/** Switches to one backend that is known to be loadable; wasm gets the kernel shims. */
export async function useBackend(name: BackendName): Promise<void> {
  if (name === 'wasm') await import('@tensorflow/tfjs-backend-wasm')
  if (!(await tf.setBackend(name))) throw new Error(`tf.setBackend('${name}') failed`)
  await tf.ready()
  if (name === 'wasm') installWasmKernels()
}
