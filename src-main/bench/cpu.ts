// CPU training benchmark (issue: ≥ 0.5× PyTorch on the same threads): ResNet-18 forward and train @224/@112 and the
// MCM+KD step (ResNet-18 student @224, and the demo's shape: smallcnn 16×3 @64, 1 window, frozen BN stats) on the wasm
// backend with the native oneDNN kernels when built (one process, native threads = all cores), and the same workloads
// in PyTorch with the same thread count, in the same run, with ratios and both sides' peak RSS.
// `npm run bench -- --only cpu` (--quick: 112 px train and the demo MCM step only).
import * as tf from '@tensorflow/tfjs'
import { cpus, loadavg } from 'node:os'
import { join } from 'node:path'
import { McmConfig, type McmConfigInput } from '../../src-shared/contracts/train'
import { SyntheticCohort } from '../ml/mcm/synthetic-cohort'
import { McmTrainer } from '../ml/mcm/trainer'
import { teacherTargets } from '../ml/mcm/targets'
import { trainingPlan } from '../ml/mcm/windows'
import { selectBackend } from '../ml/backend'
import { createModel } from '../ml/models/zoo'
import { ZooStudent } from '../ml/mcm/zoo-student'
import { describeBackends } from '../ml/backend'
import { nativeStatus } from '../ml/native-kernels/addon'
import { randomBatch, torchBench, trainRate } from './ml'
import { peakRssMiB, type BenchContext } from './harness'

const round2 = (v: number): number => Math.round(v * 100) / 100

interface McmCase { key: string; student: 'resnet18' | 'smallcnn'; patch: number; windows: number; freezeBn: boolean }

const cpuSeconds = (): number => { const u = process.cpuUsage(); return (u.user + u.system) / 1e6 }

/** Visible patches per second of McmTrainer steps (median step after the first; per CPU-second over those steps). */
async function mcmRate(ctx: BenchContext, c: McmCase, steps: number): Promise<{ rate: number; perCpu: number }> {
  await selectBackend('wasm')
  const input: McmConfigInput = {
    seed: 1, backend: 'wasm', window: { size: 4 }, batchWindows: c.windows, maxSteps: steps, checkpointEvery: 1000, freezeBnStats: c.freezeBn,
    data: { source: 'synthetic', synthetic: { slides: 2, cols: 8, rows: 8, holes: 0, patchSize: c.patch, teacherDim: 64 } }
  }
  const cfg = McmConfig.parse(input)
  const source = new SyntheticCohort(cfg.data.synthetic)
  const mean = [0.485, 0.456, 0.406], std = [0.229, 0.224, 0.225]
  const model = c.student === 'resnet18' ? createModel('resnet18', { seed: 1 }) : createModel('smallcnn', { seed: 1, width: 16, depth: 3, inputSize: c.patch })
  const stepMs: number[] = []
  const stepCpu: number[] = []
  let last = Date.now()
  const trainer = new McmTrainer({
    cfg, source, targets: teacherTargets(source, cfg), plan: trainingPlan(source.slides(), cfg), phase: 'main', studentName: c.student,
    studentFactory: () => new ZooStudent(model, c.patch, mean, std),
    checkpointDir: join(ctx.workDir, `cpu-mcm-${c.key}-${Date.now()}`),
    onStep: () => { const now = Date.now(); stepMs.push(now - last); stepCpu.push(cpuSeconds()); last = now }
  })
  await trainer.run()
  trainer.dispose()
  const sorted = stepMs.slice(1).sort((a, b) => a - b)
  const median = sorted[Math.floor(sorted.length / 2)] ?? NaN
  const visible = c.windows * (16 - Math.round(cfg.mask.ratio * 16))
  const cpu = (stepCpu[stepCpu.length - 1] ?? NaN) - (stepCpu[0] ?? NaN)
  return { rate: (visible / median) * 1000, perCpu: (visible * (stepCpu.length - 1)) / cpu }
}

/** ResNet-18 eval forward images/s, wall and per CPU-second (process-wide, all threads), after one warm-up batch. */
async function forwardRates(size: number, batch: number, iters: number): Promise<{ rate: number; perCpu: number }> {
  await selectBackend('wasm')
  const model = createModel('resnet18')
  const x = tf.randomNormal([batch, size, size, 3]) as tf.Tensor4D
  const run = async (): Promise<void> => { const y = tf.tidy(() => model.apply(x, false)); await y.data(); y.dispose() }
  await run()
  const t0 = performance.now(), c0 = cpuSeconds()
  for (let i = 0; i < iters; i++) await run()
  const out = { rate: (batch * iters) / ((performance.now() - t0) / 1000), perCpu: (batch * iters) / (cpuSeconds() - c0) }
  x.dispose(); model.dispose()
  return out
}

export async function benchCpu(ctx: BenchContext): Promise<Record<string, unknown>> {
  const native = nativeStatus()
  const threads = native.available ? native.threads : 1
  const backends = await describeBackends({ force: 'wasm' })
  const figures: Record<string, unknown> = {
    cores: cpus().length, loadAverageAtStart: loadavg().map(round2), tfjs: tf.version.tfjs,
    wasm: backends.found.find((f) => f.backend === 'wasm')?.reason, threads,
    note: 'tessera = wasm backend in ONE process (no data-parallel workers); convolutions (oneDNN) and MaxPoolGrad native with `threads` threads when built (fused BatchNorm too with TESSERA_FUSED_BATCHNORM=1), everything else single-threaded wasm. PyTorch runs with the same thread count. Ratios = tessera / PyTorch, measured back to back in this run.'
  }
  const sizes = ctx.quick ? [112] : [224, 112]
  const ours: Record<string, number> = {}
  const perCpu: Record<string, number> = {} // same keys: work per CPU-second of the whole process
  for (const size of sizes) {
    ctx.log(`cpu bench: resnet18 forward ${size}`)
    const f = await forwardRates(size, 32, ctx.quick ? 1 : 2)
    ours[`resnet18_forward_${size}_b32_img_s`] = round2(f.rate)
    perCpu[`resnet18_forward_${size}_b32_img_s`] = round2(f.perCpu)
    ctx.log(`cpu bench: resnet18 train ${size}`)
    const batch = randomBatch({ x: [32, size, size, 3], target: [32, 512] })
    // 224: two micro-batches of 16 (b32 does not fit the 4 GiB wasm heap); gradients accumulate to an effective 32
    const r = await trainRate('feature-regression', { arch: 'resnet18' }, batch, 1, size >= 224 ? 16 : 32, ctx.quick ? 1 : 2)
    ours[`resnet18_train_${size}_eff32_img_s`] = round2(r.rate)
    perCpu[`resnet18_train_${size}_eff32_img_s`] = round2(r.ratePerCpuSecond)
    if (native.available && threads > 1 && !ctx.quick) {
      // the alternative use of the cores: data-parallel replicas (worker threads), each with 1-thread native kernels
      ctx.log(`cpu bench: resnet18 train ${size}, ${threads} workers × 1 native thread`)
      const before = process.env['TESSERA_NATIVE_THREADS']
      process.env['TESSERA_NATIVE_THREADS'] = '1' // workers copy the environment when they start
      try {
        const dp = await trainRate('feature-regression', { arch: 'resnet18' }, batch, threads, size >= 224 ? 16 : 32, 2)
        ours[`resnet18_train_${size}_eff32_${threads}workers_img_s`] = round2(dp.rate)
      } finally {
        if (before === undefined) delete process.env['TESSERA_NATIVE_THREADS']
        else process.env['TESSERA_NATIVE_THREADS'] = before
      }
    }
  }
  const mcmCases: McmCase[] = [
    ...(ctx.quick ? [] : [{ key: 'resnet18_224_2win', student: 'resnet18', patch: 224, windows: 2, freezeBn: false } as McmCase]),
    { key: 'demo_smallcnn_64_1win', student: 'smallcnn', patch: 64, windows: 1, freezeBn: true }
  ]
  for (const c of mcmCases) {
    ctx.log(`cpu bench: MCM+KD step ${c.key}`)
    const m = await mcmRate(ctx, c, c.student === 'resnet18' ? 4 : 12)
    ours[`mcm_step_${c.key}_visible_patches_s`] = round2(m.rate)
    perCpu[`mcm_step_${c.key}_visible_patches_s`] = round2(m.perCpu)
  }
  ours['peak_rss_mib'] = peakRssMiB()
  figures['tessera'] = ours
  figures['tesseraPerCpuSecond'] = perCpu
  ctx.log(`cpu bench: PyTorch with ${threads} thread(s)`)
  const torch = await torchBench({ threads: [threads], resnet: sizes.map((s) => [s, 32, ctx.quick ? 1 : 2]), fwd: sizes.map((s) => [s, 32, ctx.quick ? 1 : 2]),
    mcm: mcmCases.map((c) => [c.student, c.patch, c.windows, c.student === 'resnet18' ? 3 : 10, c.freezeBn]) },
  // same OpenMP wait policy as the native kernels (they set PASSIVE), so per-CPU-second figures compare work, not spinning
  { OMP_WAIT_POLICY: process.env['OMP_WAIT_POLICY'] ?? 'PASSIVE' })
  figures['pytorch'] = torch
  if ('results' in torch) {
    const ratios: Record<string, number> = {}
    const ratiosPerCpu: Record<string, number> = {}
    for (const r of torch.results) {
      const key = r.what === 'resnet18_train' ? `resnet18_train_${r.size}_eff32_img_s`
        : r.what === 'resnet18_forward' ? `resnet18_forward_${r.size}_b32_img_s`
          : r.what === 'mcm_step' ? `mcm_step_${mcmCases.find((c) => c.student === r.student && c.patch === r.size)?.key ?? '?'}_visible_patches_s` : ''
      const theirs = r.images_per_s ?? r.visible_patches_per_s
      const mine = ours[key]
      if (mine && theirs) ratios[key.replace(/_(img|visible_patches)_s$/, '_vs_torch')] = round2(mine / theirs)
      const mineCpu = perCpu[key]
      if (mineCpu && r.units_per_cpu_s) ratiosPerCpu[key.replace(/_(img|visible_patches)_s$/, '_vs_torch')] = round2(mineCpu / r.units_per_cpu_s)
    }
    figures['ratios'] = ratios
    // per CPU-second (process-wide, both sides OMP_WAIT_POLICY=PASSIVE): less distorted by other load than wall time
    figures['ratiosPerCpuSecond'] = ratiosPerCpu
  }
  figures['loadAverageAtEnd'] = loadavg().map(round2)
  return figures
}
