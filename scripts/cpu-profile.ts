// Per-kernel profile of one ResNet-18 training step (forward + L1 loss + backward) on the chosen backend:
// `npx tsx scripts/cpu-profile.ts [size=112] [batch=8] [adam]`. Prints a markdown table (kernel, calls, ms, share).
// `adam` adds the trainer's optimizer part (src-main/ml/mcm/optimizer.ts): the group's squared gradient norm (read back),
// the clip factor for clipNorm 1 as the MCM trainer computes it, and the AdamW update with weight decay.
// TESSERA_NATIVE_KERNELS=0 profiles the wasm shims alone. Timing is tfjs's own kernelTimeMs (wall, synchronous kernels).
import * as tf from '@tensorflow/tfjs'
import { loadavg } from 'node:os'
import { initBackend } from '../src-main/ml/backend'
import { AdamW } from '../src-main/ml/mcm/optimizer'
import { createModel } from '../src-main/ml/models/zoo'
import { McmConfig } from '../src-shared/contracts/train'

async function main(): Promise<void> {
  const size = Number(process.argv[2] ?? 112), batch = Number(process.argv[3] ?? 8), withAdam = process.argv[4] === 'adam'
  const report = await initBackend()
  const model = createModel('resnet18')
  const x = tf.randomNormal([batch, size, size, 3]) as tf.Tensor4D
  const target = tf.randomNormal([batch, 512])
  const vars = model.params.trainableVariables()
  const optim = McmConfig.parse({}).optim
  const adam = withAdam ? new AdamW([{ name: 'student', params: vars.map((v) => ({ name: v.name, variable: v, decay: v.rank >= 2 })), lr: 1e-4 }], optim) : null
  const step = (): void => {
    const { value, grads } = tf.variableGrads(() => tf.mean(tf.abs(tf.sub(model.apply(x, true), target))) as tf.Scalar, vars)
    if (adam) {
      const sq = adam.groupSquaredNorms(grads)
      const norm = Math.sqrt(sq.dataSync()[0] ?? NaN)
      sq.dispose()
      adam.apply(grads, 1, norm > optim.clipNorm ? optim.clipNorm / norm : 1)
    }
    value.dataSync()
    tf.dispose([value, ...Object.values(grads)])
  }
  step() // warm-up: kernel set-up, primitive caches
  const t0 = performance.now()
  const info = await tf.profile(step)
  const wall = performance.now() - t0
  const byName = new Map<string, { calls: number; ms: number }>()
  for (const k of info.kernels) {
    const e = byName.get(k.name) ?? { calls: 0, ms: 0 }
    e.calls++
    e.ms += Number(k.kernelTimeMs)
    byName.set(k.name, e)
  }
  const total = [...byName.values()].reduce((a, b) => a + b.ms, 0)
  console.log(`backend ${report.chosen} (${report.found.find((f) => f.backend === report.chosen)?.reason ?? ''})`)
  console.log(`ResNet-18 train step${adam ? ' + AdamW' : ''} @${size} b${batch}: wall ${wall.toFixed(0)} ms (profiled), kernels ${total.toFixed(0)} ms, load ${loadavg().map((v) => v.toFixed(2)).join(' ')}`)
  console.log('| kernel | calls | ms | share |\n|---|---:|---:|---:|')
  for (const [name, e] of [...byName.entries()].sort((a, b) => b[1].ms - a[1].ms)) {
    if (e.ms / total < 0.005) continue
    console.log(`| ${name} | ${e.calls} | ${e.ms.toFixed(0)} | ${((100 * e.ms) / total).toFixed(1)} % |`)
  }
}

main().catch((e: unknown) => { console.error(e); process.exit(1) })
