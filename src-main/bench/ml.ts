// Benchmark of the ML engine: ResNet-18 forward and train images/s at 224 and 112 on the wasm backend (1 and 2 worker
// threads, effective batch 32 via gradient accumulation), a 2-layer transformer encoder train sequences/s, and the
// same workloads in Debian's PyTorch (/usr/bin/python3 + python3-torch) in the same run, with ratios. Every figure
// names its backend and thread count. Quick mode (< 2 min): 112 px only, one timed step.
import * as tf from '@tensorflow/tfjs'
import { cpus, loadavg } from 'node:os'
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { BenchContext } from './harness'
import { describeBackends, useBackend } from '../ml/backend'
import { createModel } from '../ml/models/zoo'
import { createTrainer } from '../ml/train/trainer'
import type { Batch } from '../ml/train/types'

const round2 = (v: number): number => Math.round(v * 100) / 100
const taskPath = (name: string): string => fileURLToPath(new URL(`../ml/train/tasks/${name}.ts`, import.meta.url))

export function randomBatch(shapes: Record<string, number[]>): Batch {
  const out: Batch = {}
  let s = 12345
  for (const [k, shape] of Object.entries(shapes)) {
    const data = new Float32Array(shape.reduce((a, b) => a * b, 1))
    for (let i = 0; i < data.length; i++) { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; data[i] = s / 2 ** 31 - 1 }
    out[k] = { shape, data }
  }
  return out
}

export async function forwardRate(size: number, batch: number, iters: number): Promise<number> {
  await useBackend('wasm')
  const model = createModel('resnet18')
  const x = tf.randomNormal([batch, size, size, 3]) as tf.Tensor4D
  const run = async (): Promise<void> => { const y = tf.tidy(() => model.apply(x, false)); await y.data(); y.dispose() }
  await run()
  const t0 = performance.now()
  for (let i = 0; i < iters; i++) await run()
  const rate = (batch * iters) / ((performance.now() - t0) / 1000)
  x.dispose(); model.dispose()
  return rate
}

export async function trainRate(task: string, options: Record<string, unknown>, batch: Batch, workers: number, microBatch: number, steps: number): Promise<{ rate: number; ratePerCpuSecond: number; numTensors: number[][] }> {
  const trainer = await createTrainer({ task: { module: taskPath(task), options }, workers, microBatch, optimizer: { kind: 'adam', lr: 1e-4 } })
  try {
    const rows = batch[Object.keys(batch)[0] as string]?.shape[0] as number
    const numTensors: number[][] = [(await trainer.step(batch)).numTensors]
    let seconds = 0, cpu = 0
    for (let i = 0; i < steps; i++) { const r = await trainer.step(batch); seconds += r.seconds; cpu += r.cpuSeconds; numTensors.push(r.numTensors) }
    return { rate: (rows * steps) / seconds, ratePerCpuSecond: (rows * steps) / cpu, numTensors }
  } finally {
    await trainer.dispose()
  }
}

export interface TorchResult { what: string; threads: number; key?: string; size?: number; batch?: number; student?: string; visible?: number; images_per_s?: number; sequences_per_s?: number; visible_patches_per_s?: number; units_per_cpu_s?: number; peak_rss_mib?: number; parameters?: { student: number; predictor: number } }

export interface TorchReport { torch: string; torchvision?: string; results: TorchResult[]; startup_rss_mib?: number }

export function torchBench(cfg: Record<string, unknown>, env: Record<string, string> = {}): Promise<TorchReport | { skipped: string }> {
  const python = '/usr/bin/python3'
  const script = fileURLToPath(new URL('../../scripts/reference/bench_torch.py', import.meta.url))
  if (!existsSync(python) || !existsSync(script)) return Promise.resolve({ skipped: `${python} or ${script} missing` })
  return new Promise((resolve) => {
    execFile(python, [script, JSON.stringify(cfg)], { maxBuffer: 1 << 20, timeout: 15 * 60_000, env: { ...process.env, ...env } }, (err, stdout, stderr) => {
      if (err) resolve({ skipped: `PyTorch bench failed (python3-torch installed?): ${(stderr || err.message).split('\n').slice(-3).join(' ')}` })
      else resolve(JSON.parse(stdout) as TorchReport)
    })
  })
}

export async function benchMl(ctx: BenchContext): Promise<Record<string, unknown>> {
  const cores = cpus().length
  const load = loadavg()[0] ?? 0
  const backends = await describeBackends()
  ctx.log(`ml bench: backends ${backends.found.map((f) => `${f.name}=${f.available ? 'yes' : 'no'}`).join(', ')}`)
  const sizes = ctx.quick ? [112] : [224, 112]
  const figures: Record<string, unknown> = {
    cores, loadAverageAtStart: round2(load), tfjs: backends.tfjsVersion, backendChosen: backends.chosen, backendsFound: backends.found,
    note: 'wasm = tfjs-backend-wasm SIMD + Tessera shims, 1 thread per worker; workers = data-parallel replicas (worker threads). *_per_cpu_s = images per CPU-second of the whole process (load-independent); wall figures are only meaningful when loadAverageAtStart is well below the core count'
  }
  const tfjs: Record<string, number> = {}
  for (const size of sizes) {
    ctx.log(`ml bench: resnet18 forward ${size}`)
    tfjs[`resnet18_forward_${size}_b32_wasm_1thread_img_s`] = round2(await forwardRate(size, 32, ctx.quick ? 1 : 2))
    for (const workers of [1, 2]) {
      ctx.log(`ml bench: resnet18 train ${size}, ${workers} worker(s)`)
      const batch = randomBatch({ x: [32, size, size, 3], target: [32, 512] })
      const r = await trainRate('feature-regression', { arch: 'resnet18' }, batch, workers, size >= 224 ? 16 : 32, ctx.quick ? 1 : 2)
      tfjs[`resnet18_train_${size}_eff32_wasm_${workers}worker_img_s`] = round2(r.rate)
      tfjs[`resnet18_train_${size}_eff32_wasm_${workers}worker_img_per_cpu_s`] = round2(r.ratePerCpuSecond)
    }
  }
  for (const workers of [1, 2]) {
    ctx.log(`ml bench: encoder train, ${workers} worker(s)`)
    const batch = randomBatch({ x: [32, 64, 256], target: [32, 64, 256] })
    const r = await trainRate('encoder-regression', { dim: 256, heads: 4, depth: 2 }, batch, workers, 32, ctx.quick ? 1 : 3)
    tfjs[`encoder2x256_train_seq64_b32_wasm_${workers}worker_seq_s`] = round2(r.rate)
    tfjs[`encoder2x256_train_seq64_b32_wasm_${workers}worker_seq_per_cpu_s`] = round2(r.ratePerCpuSecond)
  }
  figures['tfjs'] = tfjs
  ctx.log('ml bench: PyTorch anchor')
  const torch = await torchBench({ threads: [1, 2], resnet: sizes.map((s) => [s, 32, ctx.quick ? 1 : 2]),
    fwd: sizes.map((s) => [s, 32, ctx.quick ? 1 : 2]), encoder: [32, ctx.quick ? 1 : 3] })
  figures['pytorch'] = torch
  if ('results' in torch) {
    const ratios: Record<string, number> = {}
    for (const r of torch.results) {
      if (r.what === 'resnet18_train' && r.threads === 2) {
        const ours = tfjs[`resnet18_train_${r.size}_eff32_wasm_2worker_img_s`]
        if (ours && r.images_per_s) ratios[`resnet18_train_${r.size}_tfjs2workers_vs_torch2threads`] = round2(ours / r.images_per_s)
      }
      if (r.what === 'resnet18_forward' && r.threads === 1) {
        const ours = tfjs[`resnet18_forward_${r.size}_b32_wasm_1thread_img_s`]
        if (ours && r.images_per_s) ratios[`resnet18_forward_${r.size}_tfjs1thread_vs_torch1thread`] = round2(ours / r.images_per_s)
      }
      if (r.what === 'encoder_train' && r.threads === 2) {
        const ours = tfjs['encoder2x256_train_seq64_b32_wasm_2worker_seq_s']
        if (ours && r.sequences_per_s) ratios['encoder_train_tfjs2workers_vs_torch2threads'] = round2(ours / r.sequences_per_s)
      }
    }
    figures['ratios'] = ratios
  }
  return figures
}
