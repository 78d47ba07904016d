// CPU training benchmark (issue: ≥ 0.5× PyTorch on the same threads): ResNet-18 forward and train @224/@112 and the
// MCM+KD step (the demo's shape, the --smoke shape, a ResNet-18 student @224; cpu-workloads.ts) on the wasm backend
// with the native oneDNN kernels when built (one process, native threads = all cores), and the same workloads in
// PyTorch with the same thread count. Every workload runs in its own process on each side (Tessera: cpu-child.ts;
// PyTorch: one python process each), back to back, so each side's peak RSS is that workload's alone (process-wide
// maxRSS, runtime included; the startup figure says how much of it the runtime is) and both sides see the same load.
// `npm run bench -- --only cpu` (--quick: 112 px forward/train and the demo and smoke MCM+KD steps).
import * as tf from '@tensorflow/tfjs'
import { cpus, loadavg } from 'node:os'
import { describeBackends } from '../ml/backend'
import { nativeStatus } from '../ml/native-kernels/addon'
import { mcmCases, type CpuWorkload, type WorkloadResult } from './cpu-workloads'
import { runChild, type BenchContext } from './harness'
import { torchBench, type TorchResult } from './ml'

const round2 = (v: number): number => Math.round(v * 100) / 100

interface Side {
  rate: number; per_cpu_s: number; peak_rss_mib: number; startup_rss_mib: number
  /** MCM+KD, Tessera: peak_rss_mib is at the last step; this one includes the final checkpoint */
  process_peak_rss_mib?: number; batch_build_ms?: number; parameters?: { student: number; predictor: number } }
interface Row { what: string; unit: string; tessera: Side | { error: string }; pytorch: Side | { skipped: string } | null; ratio?: number; ratio_per_cpu_s?: number
  /** MCM+KD: both sides' trainable parameter counts agree (student, predictor): the same models, not just the same names */
  same_parameters?: boolean }

/** The workloads in run order, each with the PyTorch config of the same work (null: no PyTorch counterpart). */
function workloads(quick: boolean, threads: number, native: boolean): { w: CpuWorkload; torch: ((shape?: Record<string, unknown>) => Record<string, unknown>) | null }[] {
  const out: ReturnType<typeof workloads> = []
  const iters = quick ? 1 : 2
  for (const size of quick ? [112] : [224, 112]) {
    out.push({ w: { kind: 'forward', key: `resnet18_forward_${size}_b32`, what: `ResNet-18 forward @${size}, b32`, size, batch: 32, iters }, torch: () => ({ fwd: [[size, 32, iters]] }) })
    // 224: two micro-batches of 16 (b32 does not fit the 4 GiB wasm heap); gradients accumulate to an effective 32
    const micro = size >= 224 ? 16 : 32
    const train = { kind: 'train', size, batch: 32, microBatch: micro, steps: iters } as const
    out.push({ w: { ...train, key: `resnet18_train_${size}_eff32`, what: `ResNet-18 train @${size}, eff. batch 32 (${32 / micro} × ${micro})`, workers: 1 },
      torch: () => ({ resnet: [[size, 32, iters]] }) })
    if (native && threads > 1 && !quick) {
      // the alternative use of the cores: data-parallel replicas (worker threads), each with 1-thread native kernels
      out.push({ w: { ...train, key: `resnet18_train_${size}_eff32_${threads}workers`, what: `  same, ${threads} data-parallel workers × 1 native thread`, workers: threads, steps: 2, nativeThreads: 1 }, torch: null })
    }
  }
  for (const c of mcmCases(quick)) {
    out.push({ w: { kind: 'mcm', key: `mcm_step_${c.key}`, what: c.what, mcm: c }, torch: (shape) => ({ mcm: [[shape, c.torchIters]] }) })
  }
  return out
}

function formatTable(rows: Record<string, Row>): string[] {
  const f = (v: number | undefined): string => (v === undefined || !Number.isFinite(v) ? '—' : v >= 100 ? v.toFixed(0) : v.toFixed(2))
  const cells = [['workload', 'unit', 'tessera', 'pytorch', 'ratio', 'tess/CPU-s', 'torch/CPU-s', 'ratio/CPU-s', 'peak RSS MiB: tess', 'torch']]
  const notes: string[] = []
  for (const r of Object.values(rows)) {
    const t = 'rate' in r.tessera ? r.tessera : null, p = r.pytorch && 'rate' in r.pytorch ? r.pytorch : null
    cells.push([r.what, r.unit, t ? f(t.rate) : 'FAILED', f(p?.rate), f(r.ratio), f(t?.per_cpu_s), f(p?.per_cpu_s), f(r.ratio_per_cpu_s), f(t?.peak_rss_mib), f(p?.peak_rss_mib)])
    if ('error' in r.tessera) notes.push(`${r.what}: tessera failed: ${r.tessera.error}`)
    if (r.pytorch && 'skipped' in r.pytorch) notes.push(`${r.what}: PyTorch not measured: ${r.pytorch.skipped}`)
    if (r.same_parameters === false) notes.push(`${r.what}: NOT THE SAME MODELS: parameters tessera ${JSON.stringify(t?.parameters)}, PyTorch ${JSON.stringify(p?.parameters)}`)
  }
  const widths = (cells[0] as string[]).map((_, i) => Math.max(...cells.map((row) => (row[i] ?? '').length)))
  return [...cells.map((row) => row.map((c, i) => (i === 0 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number))).join('  ')), ...notes]
}

export async function benchCpu(ctx: BenchContext): Promise<Record<string, unknown>> {
  const native = nativeStatus()
  const threads = native.available ? native.threads : 1
  const backends = await describeBackends({ force: 'wasm' })
  const figures: Record<string, unknown> = {
    cores: cpus().length, loadAverageAtStart: loadavg().map(round2), tfjs: tf.version.tfjs,
    wasm: backends.found.find((f) => f.backend === 'wasm')?.reason, threads,
    note: 'tessera = wasm backend in ONE process (no data-parallel workers unless named); convolutions (oneDNN), MaxPoolGrad native with `threads` threads when built (fused BatchNorm too unless TESSERA_FUSED_BATCHNORM=0), everything else single-threaded wasm. PyTorch runs with the same thread count and OMP_WAIT_POLICY. Each workload runs in its own process on each side, Tessera then PyTorch back to back; peak_rss_mib = that process\'s maxRSS (runtime included; startup_rss_mib = after imports, before the workload). Ratios = tessera / PyTorch.'
  }
  const rows: Record<string, Row> = {}
  const ratios: Record<string, number> = {}, ratiosPerCpu: Record<string, number> = {}
  let torchVersion: unknown = null
  for (const { w, torch } of workloads(ctx.quick, threads, native.available)) {
    ctx.log(`cpu bench: ${w.key} (tessera)`)
    const unit = w.kind === 'mcm' ? 'visible patches/s' : 'img/s'
    const row: Row = { what: w.what, unit, tessera: { error: 'not run' }, pytorch: null }
    rows[w.key] = row
    let shape: Record<string, unknown> | undefined
    try {
      const env: Record<string, string> = w.kind === 'train' && w.nativeThreads ? { TESSERA_NATIVE_THREADS: String(w.nativeThreads) } : {}
      const r = await runChild('cpu-child.ts', [JSON.stringify(w), ctx.workDir], env)
      const f = r.figures as unknown as WorkloadResult & { startupRssMiB: number }
      const steps = f.stepsPeakRssMiB
      row.tessera = { rate: round2(f.rate), per_cpu_s: round2(f.perCpu), peak_rss_mib: steps ?? r.peakRssMiB, startup_rss_mib: f.startupRssMiB,
        ...(steps !== undefined ? { process_peak_rss_mib: r.peakRssMiB } : {}),
        ...(f.batchBuildMs !== undefined ? { batch_build_ms: round2(f.batchBuildMs) } : {}), ...(f.shape ? { parameters: f.shape.parameters } : {}) }
      shape = f.shape as unknown as Record<string, unknown> | undefined
    } catch (e) {
      // a failed workload is reported as failed, never dropped or replaced by a number
      row.tessera = { error: (e as Error).message }
      ctx.log(`cpu bench: ${w.key} failed: ${(e as Error).message}`)
    }
    if (!torch || (w.kind === 'mcm' && !shape)) continue
    ctx.log(`cpu bench: ${w.key} (PyTorch, ${threads} thread(s))`)
    // same OpenMP wait policy as the native kernels (they set PASSIVE), so per-CPU-second figures compare work, not spinning
    const t = await torchBench({ threads: [threads], ...torch(shape) }, { OMP_WAIT_POLICY: process.env['OMP_WAIT_POLICY'] ?? 'PASSIVE' })
    if (!('results' in t)) { row.pytorch = t; continue }
    torchVersion ??= { torch: t.torch, torchvision: t.torchvision }
    const res = t.results[0] as TorchResult | undefined
    const rate = res?.images_per_s ?? res?.visible_patches_per_s
    if (!res || !rate) { row.pytorch = { skipped: 'PyTorch returned no result' }; continue }
    row.pytorch = { rate: round2(rate), per_cpu_s: round2(res.units_per_cpu_s ?? NaN), peak_rss_mib: res.peak_rss_mib ?? NaN, startup_rss_mib: t.startup_rss_mib ?? NaN,
      ...(res.parameters ? { parameters: res.parameters } : {}) }
    if (w.kind === 'mcm' && 'rate' in row.tessera) row.same_parameters = JSON.stringify(row.tessera.parameters) === JSON.stringify(res.parameters)
    if ('rate' in row.tessera) {
      row.ratio = ratios[`${w.key}_vs_torch`] = round2(row.tessera.rate / rate)
      if (res.units_per_cpu_s) row.ratio_per_cpu_s = ratiosPerCpu[`${w.key}_vs_torch`] = round2(row.tessera.per_cpu_s / res.units_per_cpu_s)
    }
  }
  figures['pytorch'] = torchVersion ?? 'not run (see workloads)'
  figures['workloads'] = rows
  figures['ratios'] = ratios
  // per CPU-second (process-wide, both sides OMP_WAIT_POLICY=PASSIVE): less distorted by other load than wall time
  figures['ratiosPerCpuSecond'] = ratiosPerCpu
  figures['table'] = formatTable(rows)
  figures['loadAverageAtEnd'] = loadavg().map(round2)
  return figures
}
