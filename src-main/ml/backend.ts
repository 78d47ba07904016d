// Compute backend selection for TensorFlow.js: probes every candidate, picks the best, and says why others were skipped.
// Order: tensorflow (tfjs-node-gpu + CUDA GPU) → tensorflow (tfjs-node) → webgpu (Dawn `webgpu` + a hardware adapter;
// software ones like lavapipe are skipped, webgpu-adapter.ts) → wasm (with our kernel shims, and native oneDNN
// convolutions when native/dnnl is built) → cpu (pure JS, ~1 GFLOP/s: tiny tests only). Forced with TESSERA_BACKEND or
// `force` (then only the forced one is probed).
// Quirk: tfjs-node(-gpu) are optional and not installed here (their install downloads libtensorflow), so they are imported
// dynamically by a computed specifier and reported "not installed"; importing either registers the 'tensorflow' backend.
import * as tf from '@tensorflow/tfjs'
import { existsSync } from 'node:fs'
import { installWasmKernels } from './wasm-kernels/index'
import { preferAdapter, summarizeAdapter, type AdapterCandidate, type AdapterInfoLike, type AdapterSummary, type PowerPreference } from './webgpu-adapter'
import { installNativeKernels } from './native-kernels/index'
import { nativeStatus } from './native-kernels/addon'
import { fusedBatchNormSwitchedOff } from './nn/batch-norm-kernels'
import { installWebgpuKernels, webgpuKernelsLabel } from './webgpu-kernels/index'

export type BackendName = 'tensorflow' | 'webgpu' | 'wasm' | 'cpu'
export const backendNames: readonly BackendName[] = ['tensorflow', 'webgpu', 'wasm', 'cpu']

export interface BackendProbe {
  /** backend plus the package it comes from, e.g. "tensorflow (@tensorflow/tfjs-node-gpu)" */
  name: string
  backend: BackendName
  available: boolean
  reason: string
  /** webgpu: the adapter the probe would use */
  adapter?: AdapterSummary
  /** available, but automatic selection passes it by (a software GPU adapter); forcing still uses it */
  autoSkip?: string
}

export interface BackendReport {
  found: BackendProbe[]
  chosen: BackendName
  /** what the chosen backend computes on (WebGPU adapter name, or CPU/CUDA), for run records */
  adapter: string
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
/** power preference of the adapter the probe chose; tfjs-webgpu is told to request the same one (useBackend) */
let webgpuPower: PowerPreference = 'high-performance'

/** Linux: Dawn needs the Vulkan loader. Looking for it first avoids Dawn's own warning and stack trace on stderr. */
function vulkanLoaderMissing(): string | null {
  if (process.platform !== 'linux') return null
  const dirs = [...(process.env['LD_LIBRARY_PATH'] ?? '').split(':').filter(Boolean), '/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib64', '/usr/lib', '/lib/x86_64-linux-gnu', '/lib64']
  return dirs.some((d) => existsSync(`${d}/libvulkan.so.1`)) ? null : 'no Vulkan loader (libvulkan.so.1) found: install libvulkan1 and a GPU driver to use webgpu'
}

type GpuLike = { requestAdapter(o?: { powerPreference: PowerPreference }): Promise<{ info?: AdapterInfoLike; isFallbackAdapter?: boolean } | null> }

/**
 * Installs Dawn's WebGPU globals (Node has no navigator.gpu) and asks for an adapter per power preference; a software
 * adapter is available (forceable) but marked `autoSkip`. Cached: Dawn init is slow. Only called when webgpu is wanted.
 */
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
      const gpu = (g['navigator'] as { gpu: GpuLike }).gpu
      const candidates: AdapterCandidate[] = []
      for (const powerPreference of ['high-performance', 'low-power'] as const) {
        const a = await gpu.requestAdapter({ powerPreference })
        if (a) candidates.push({ powerPreference, info: a.info ?? {}, ...(a.isFallbackAdapter !== undefined ? { isFallbackAdapter: a.isFallbackAdapter } : {}) })
      }
      const adapter = preferAdapter(candidates)
      if (!adapter) return { ...base, available: false, reason: 'Dawn found no WebGPU adapter (no Vulkan/Metal/D3D12 GPU usable)' }
      await import('@tensorflow/tfjs-backend-webgpu')
      webgpuPower = adapter.powerPreference
      const others = candidates.map(summarizeAdapter).filter((c) => c.name !== adapter.name)
      const alt = others.length ? `; also offered: ${others.map((o) => `${o.name} (${o.powerPreference})`).join(', ')}` : ''
      return {
        ...base, available: true, adapter,
        reason: `adapter: ${adapter.name}${adapter.software ? ` — ${adapter.software}, used only when forced (TESSERA_BACKEND=webgpu)` : ''}${alt}`,
        ...(adapter.software ? { autoSkip: `${adapter.software}: ${adapter.name} (about 9× slower than wasm); force with TESSERA_BACKEND=webgpu` } : {})
      }
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
    // the optional native part (native/dnnl) is reported either way: in use, or why not (then the wasm shims do the work)
    const native = nativeStatus()
    return { ...base, available: true, reason: `SIMD wasm, 1 thread per instance; training via shims (Conv2DBackpropFilter/Input, BatchMatMul); ${native.available ? native.reason : `${native.reason}: convolutions on the wasm shims`}` }
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

const PROBE_NAMES: Record<BackendName, string> = {
  tensorflow: 'tensorflow (@tensorflow/tfjs-node-gpu | @tensorflow/tfjs-node)',
  webgpu: 'webgpu (webgpu/Dawn + @tensorflow/tfjs-backend-webgpu)',
  wasm: 'wasm (@tensorflow/tfjs-backend-wasm + Tessera kernel shims)',
  cpu: 'cpu (@tensorflow/tfjs-backend-cpu, pure JS)'
}

async function probe(name: BackendName): Promise<BackendProbe[]> {
  switch (name) {
    case 'tensorflow': return probeTensorflow()
    case 'webgpu': return [await probeWebgpu()]
    case 'wasm': return [await probeWasm()]
    case 'cpu': return [{ name: PROBE_NAMES.cpu, backend: 'cpu', available: true, reason: 'always present; about 1 GFLOP/s, for tiny tests only' }]
  }
}

/** What the backend computes on, for run records: the WebGPU adapter, libtensorflow's device, or the CPU. */
function adapterOf(p: BackendProbe): string {
  // our WGSL kernels change results in the last bits (another summation order): run records name them
  if (p.adapter) return `${p.adapter.name}${p.adapter.software ? ' (software)' : ''}; ${webgpuKernelsLabel()}`
  if (p.backend === 'tensorflow') return p.name.includes('-gpu') ? 'CUDA GPU (libtensorflow)' : 'CPU (libtensorflow)'
  if (p.backend !== 'wasm') return 'CPU (pure JS)'
  // the native convolutions change results in the last bits (and with the thread count): run records name them
  const native = nativeStatus()
  // (the fused AdamW and norm kernels are bit-identical to the ops they replace; named so the record says what ran; the
  // fused BatchNorm changes the last bits, so a record says whether it ran)
  const bn = fusedBatchNormSwitchedOff() ? 'composite BatchNorm' : 'fused BatchNorm'
  return native.available ? `CPU (SIMD wasm, 1 thread; oneDNN convolutions, ${native.threads} threads; ${bn}; native AdamW)` : 'CPU (SIMD wasm, 1 thread)'
}

/**
 * Probes the backends (without switching) and says which one would be chosen and why. When one is forced only that one
 * is probed: forcing wasm must not initialise Dawn (which prints "Failed to detect any valid GPUs" on GPU-less hosts).
 */
export async function describeBackends(opts: BackendOptions = {}): Promise<BackendReport> {
  const forced = requestedBackend(opts)
  const tfjsVersion = tf.version.tfjs
  if (forced) {
    const by = opts.force ? 'option' : 'TESSERA_BACKEND'
    const found: BackendProbe[] = []
    for (const b of backendNames) {
      if (b === forced) found.push(...(await probe(b)))
      else found.push({ name: PROBE_NAMES[b], backend: b, available: false, reason: `not probed: ${forced} forced by ${by}` })
    }
    const chosen = found.find((p) => p.backend === forced && p.available)
    if (!chosen) {
      const why = found.filter((p) => p.backend === forced).map((p) => `${p.name}: ${p.reason}`).join('; ')
      throw new Error(`backend '${forced}' was forced but is not available (${why})`)
    }
    const soft = chosen.adapter?.software ? ` on a ${chosen.adapter.software}: correctness only, not speed` : ''
    return { found, chosen: forced, adapter: adapterOf(chosen), why: `forced by ${by}${soft}`, tfjsVersion }
  }
  const found: BackendProbe[] = []
  for (const b of backendNames) found.push(...(await probe(b)))
  const best = found.find((p) => p.available && !p.autoSkip) as BackendProbe
  const skipped = found.slice(0, found.indexOf(best)).map((p) => `${p.name}: ${p.autoSkip ?? p.reason}`)
  const why = skipped.length ? `best available; skipped ${skipped.join('; ')}` : 'best available'
  return { found, chosen: best.backend, adapter: adapterOf(best), why, tfjsVersion }
}

/** Probes, switches tfjs to the chosen backend (installing the wasm shims when wasm) and returns the report. */
export async function initBackend(opts: BackendOptions = {}): Promise<BackendReport> {
  const report = await describeBackends(opts)
  await useBackend(report.chosen)
  return report
}

/** Switches to one backend that is known to be loadable; wasm gets the kernel shims (then the native kernels if built),
 * webgpu the probed adapter and our WGSL kernels. */
export async function useBackend(name: BackendName): Promise<void> {
  if (name === 'wasm') await import('@tensorflow/tfjs-backend-wasm')
  if (name === 'webgpu') {
    // Node has no navigator.gpu until the probe installs Dawn's; tfjs-webgpu then requests the probed preference
    const p = await probeWebgpu()
    if (!p.available) throw new Error(`webgpu is not available: ${p.reason}`)
    tf.env().set('WEBGPU_USE_LOW_POWER_GPU', webgpuPower === 'low-power')
  }
  if (!(await tf.setBackend(name))) throw new Error(`tf.setBackend('${name}') failed`)
  await tf.ready()
  if (name === 'wasm') {
    installWasmKernels()
    installNativeKernels()
  }
  if (name === 'webgpu') installWebgpuKernels() // unless TESSERA_WEBGPU_KERNELS=0 (then tfjs-webgpu's own kernels)
}

/** A run's backend setting: 'auto' (the selection above, honouring TESSERA_BACKEND) or one backend forced. */
export type BackendChoice = 'auto' | BackendName

/**
 * Switches tfjs to the backend a run asked for and returns what was used, for the run record. 'auto' probes like
 * `tessera backend`; a named backend is forced (only it is probed) and fails with the reason when it is unavailable.
 */
export async function selectBackend(choice: BackendChoice): Promise<{ name: BackendName; adapter: string; why: string }> {
  const report = await initBackend(choice === 'auto' ? {} : { force: choice })
  return { name: report.chosen, adapter: report.adapter, why: report.why }
}
