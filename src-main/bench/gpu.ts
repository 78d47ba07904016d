// GPU benchmark (`npm run bench -- --only gpu`): ResNet-18 @224 forward and train img/s (batch 32 and 64) on each GPU
// backend that has a hardware adapter. Never an estimate: a backend without a hardware GPU is reported "not measured"
// with the reason (a software adapter such as lavapipe included — its figures would say nothing about a GPU).
// TESSERA_BENCH_GPU_SOFTWARE=1 runs the same loops on a software adapter at 32 px to exercise the code; those figures
// are labelled as such and are correctness runs only. Not yet here (reported "not measured"): the MCM+KD step, ONNX
// teacher patches/s on onnxruntime's WebGPU/CUDA providers, and PyTorch CUDA in the same run.
import * as tf from '@tensorflow/tfjs'
import type { BenchContext } from './harness'
import { describeBackends, initBackend, type BackendName, type BackendProbe } from '../ml/backend'
import { createModel } from '../ml/models/zoo'

const round2 = (v: number): number => Math.round(v * 100) / 100

/** Why a backend's GPU figures cannot be measured here, or null when it has a hardware GPU. */
export function notMeasuredReason(probes: readonly BackendProbe[], backend: BackendName, allowSoftware: boolean): string | null {
  const mine = probes.filter((p) => p.backend === backend)
  const usable = mine.find((p) => p.available)
  if (!usable) return `not measured: ${mine.map((p) => p.reason).join('; ') || 'not probed'}`
  if (backend === 'tensorflow' && !usable.name.includes('-gpu')) return 'not measured: tfjs-node without CUDA (libtensorflow on the CPU) is not a GPU'
  if (usable.adapter?.software && !allowSoftware) return `not measured: ${usable.adapter.software} — no hardware GPU adapter`
  return null
}

/** images/s of `iters` timed passes after one warm-up; one async read per pass (the loss or the output). */
async function rate(batch: number, iters: number, pass: () => Promise<void>): Promise<number> {
  await pass()
  const t0 = performance.now()
  for (let i = 0; i < iters; i++) await pass()
  return (batch * iters) / ((performance.now() - t0) / 1000)
}

async function resnetRates(size: number, batches: number[], iters: number): Promise<Record<string, number>> {
  const out: Record<string, number> = {}
  const model = createModel('resnet18', { inputSize: size })
  const opt = tf.train.adam(1e-4)
  try {
    for (const batch of batches) {
      const x = tf.randomNormal([batch, size, size, 3], 0, 1, 'float32', 1) as tf.Tensor4D
      const target = tf.randomNormal([batch, 512], 0, 1, 'float32', 2)
      out[`resnet18_forward_${size}_b${batch}_img_s`] = round2(await rate(batch, iters, async () => {
        const y = tf.tidy(() => model.apply(x, false))
        await y.data()
        y.dispose()
      }))
      out[`resnet18_train_${size}_b${batch}_img_s`] = round2(await rate(batch, iters, async () => {
        const loss = opt.minimize(() => tf.mean(tf.square(tf.sub(model.apply(x, true), target))) as tf.Scalar, true, model.params.trainableVariables())
        await loss?.data()
        loss?.dispose()
      }))
      tf.dispose([x, target])
    }
  } finally {
    opt.dispose()
    model.dispose()
  }
  return out
}

export async function benchGpu(ctx: BenchContext): Promise<Record<string, unknown>> {
  const allowSoftware = process.env['TESSERA_BENCH_GPU_SOFTWARE'] === '1'
  const report = await describeBackends()
  const figures: Record<string, unknown> = {
    backendsFound: report.found.map((f) => ({ name: f.name, available: f.available, reason: f.reason, ...(f.autoSkip ? { autoSkip: f.autoSkip } : {}) })),
    mcmkd_step_resnet18_224: 'not measured: not implemented in this bench yet',
    onnx_teacher_patches_s: 'not measured: onnxruntime WebGPU/CUDA providers are not used by Tessera yet',
    pytorch_cuda: 'not measured: not implemented in this bench yet (and no CUDA GPU on this machine unless listed above)'
  }
  for (const backend of ['webgpu', 'tensorflow'] as const) {
    const why = notMeasuredReason(report.found, backend, allowSoftware)
    if (why) {
      ctx.log(`gpu bench: ${backend}: ${why}`)
      figures[backend] = why
      continue
    }
    const used = await initBackend({ force: backend })
    const software = report.found.find((p) => p.backend === backend && p.available)?.adapter?.software ?? null
    // a software adapter is ~9x slower than wasm: tiny shapes, labelled, never a GPU figure
    const size = software ? 32 : 224
    const batches = software ? [2] : ctx.quick ? [32] : [32, 64]
    ctx.log(`gpu bench: ${backend} on ${used.adapter}: ResNet-18 @${size}, batch ${batches.join('/')}`)
    figures[backend] = {
      adapter: used.adapter,
      ...(software ? { label: `${software}: correctness run of the bench code, not a GPU figure` } : {}),
      ...(await resnetRates(size, batches, software || ctx.quick ? 1 : 3))
    }
  }
  return figures
}
