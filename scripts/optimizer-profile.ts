// The optimizer part of a training step alone, fused native kernels against the op-by-op path in the same process:
// `npx tsx scripts/optimizer-profile.ts [model=resnet18] [reps=7]`. Per rep: the group's squared gradient norm (read
// back) and one AdamW update with clipping and weight decay, on the model's real parameter shapes and random gradients.
// The two paths alternate (fused, op-by-op, fused, op-by-op) so a shared machine's load hits both; prints min and median.
// Then the data-parallel trainer's Adam (FusedAdamOptimizer) against tf.train.adam on the same shapes.
import * as tf from '@tensorflow/tfjs'
import { loadavg } from 'node:os'
import { useBackend } from '../src-main/ml/backend'
import { AdamW } from '../src-main/ml/mcm/optimizer'
import { ADAMW_KERNEL, SUM_SQUARES_KERNEL } from '../src-main/ml/mcm/optimizer-kernels'
import { createModel } from '../src-main/ml/models/zoo'
import { FusedAdamOptimizer } from '../src-main/ml/train/fused-adam'
import { McmConfig } from '../src-shared/contracts/train'

async function main(): Promise<void> {
  const name = process.argv[2] ?? 'resnet18', reps = Number(process.argv[3] ?? 7)
  await useBackend('wasm')
  const fused = [ADAMW_KERNEL, SUM_SQUARES_KERNEL].map((k) => tf.getKernel(k, 'wasm'))
  if (fused.some((k) => !k)) throw new Error('the fused optimizer kernels are not registered on wasm (native addon missing or switched off)')
  const vars = createModel(name).params.trainableVariables()
  const optim = McmConfig.parse({}).optim
  const adam = new AdamW([{ name: 'student', params: vars.map((v) => ({ name: v.name, variable: v, decay: v.rank >= 2 })), lr: 1e-4 }], optim)
  const grads: tf.NamedTensorMap = Object.fromEntries(vars.map((v) => [v.name, tf.randomNormal(v.shape)]))
  const size = vars.reduce((a, v) => a + v.size, 0)
  console.log(`${name}: ${vars.length} tensors, ${(size / 1e6).toFixed(2)} M parameters, load ${loadavg().map((v) => v.toFixed(2)).join(' ')}`)
  const times: Record<string, { norm: number[]; apply: number[] }> = { fused: { norm: [], apply: [] }, 'op-by-op': { norm: [], apply: [] } }
  for (const mode of ['fused', 'op-by-op', 'fused', 'op-by-op']) {
    if (mode === 'op-by-op') for (const k of [ADAMW_KERNEL, SUM_SQUARES_KERNEL]) tf.unregisterKernel(k, 'wasm')
    for (let i = 0; i < reps; i++) {
      const t0 = performance.now()
      const sq = adam.groupSquaredNorms(grads)
      const norm = Math.sqrt(sq.dataSync()[0] ?? NaN)
      sq.dispose()
      const t1 = performance.now()
      adam.apply(grads, 1, norm > optim.clipNorm ? optim.clipNorm / norm : 1)
      tf.tidy(() => tf.sum(vars[0] as tf.Variable).dataSync()) // wait for the update (synchronous on wasm anyway)
      const t = times[mode] as { norm: number[]; apply: number[] }
      t.norm.push(t1 - t0)
      t.apply.push(performance.now() - t1)
    }
    if (mode === 'op-by-op') for (const k of fused) tf.registerKernel(k as tf.KernelConfig)
  }
  const stat = (a: number[]): string => {
    const s = [...a].sort((x, y) => x - y)
    return `min ${(s[0] ?? NaN).toFixed(1)} / median ${(s[Math.floor(s.length / 2)] ?? NaN).toFixed(1)} ms`
  }
  for (const [mode, t] of Object.entries(times)) console.log(`${mode}: norm ${stat(t.norm)}; AdamW update ${stat(t.apply)}`)
  const adams: Record<string, number[]> = { FusedAdamOptimizer: [], 'tf.train.adam': [] }
  const opts = { FusedAdamOptimizer: new FusedAdamOptimizer(1e-4, 0.9, 0.999, 1e-8), 'tf.train.adam': tf.train.adam(1e-4, 0.9, 0.999, 1e-8) }
  for (const mode of ['FusedAdamOptimizer', 'tf.train.adam', 'FusedAdamOptimizer', 'tf.train.adam'] as const) {
    for (let i = 0; i < reps; i++) {
      const opt: tf.Optimizer = opts[mode], t0 = performance.now()
      opt.applyGradients(grads)
      tf.tidy(() => tf.sum(vars[0] as tf.Variable).dataSync())
      adams[mode]?.push(performance.now() - t0)
    }
  }
  for (const [mode, t] of Object.entries(adams)) console.log(`${mode}: update ${stat(t)}`)
  console.log(`load ${loadavg().map((v) => v.toFixed(2)).join(' ')}`)
}

main().catch((e: unknown) => { console.error(e); process.exit(1) })
