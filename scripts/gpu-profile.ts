// Per-kernel profile of one ResNet-18 training step (forward, MSE loss to a 512-d target, backward, SGD update) on the
// webgpu backend, forced (a software adapter such as lavapipe included). Kernel times come from WebGPU timestamp queries
// (tfjs-webgpu's profiler) where the adapter has them; without them tfjs reports none and the script says so.
// Usage: npx tsx scripts/gpu-profile.ts [size=224] [batch=32]  → a markdown table on stdout (one warm-up step first).
import * as tf from '@tensorflow/tfjs'
import { initBackend } from '../src-main/ml/backend'
import { createModel } from '../src-main/ml/models/zoo'

const size = Number(process.argv[2] ?? 224)
const batch = Number(process.argv[3] ?? 32)
const used = await initBackend({ force: 'webgpu' })
const timestamps = (tf.backend() as unknown as { supportTimestampQuery?: boolean }).supportTimestampQuery === true
const model = createModel('resnet18', { inputSize: size })
const x = tf.randomNormal([batch, size, size, 3], 0, 1, 'float32', 1) as tf.Tensor4D
const target = tf.randomNormal([batch, 512], 0, 1, 'float32', 2)
const opt = tf.train.sgd(1e-3)
const step = async (): Promise<void> => {
  const loss = opt.minimize(() => tf.mean(tf.square(tf.sub(model.apply(x, true), target))) as tf.Scalar, true, model.params.trainableVariables())
  await loss?.data()
  loss?.dispose()
}
await step() // warm-up: pipeline compilation is not part of the step
const t0 = performance.now()
const prof = await tf.profile(step)
const wallMs = performance.now() - t0
const byKernel = new Map<string, { calls: number; ms: number }>()
for (const k of prof.kernels) {
  const e = byKernel.get(k.name) ?? { calls: 0, ms: 0 }
  e.calls++
  e.ms += Number(await k.kernelTimeMs) || 0
  byKernel.set(k.name, e)
}
const total = [...byKernel.values()].reduce((s, e) => s + e.ms, 0)
const rows = [...byKernel].sort((a, b) => b[1].ms - a[1].ms)
console.log(`adapter: ${used.adapter}; ResNet-18 @${size}, batch ${batch}; tfjs ${tf.version.tfjs}; timestamp queries: ${timestamps ? 'yes' : 'no (kernel times unavailable)'}`)
console.log(`one profiled step: ${wallMs.toFixed(0)} ms wall (profiling included), ${total.toFixed(0)} ms summed kernel time, ${prof.kernels.length} kernels\n`)
console.log('| kernel | calls | ms | share |')
console.log('|---|---:|---:|---:|')
for (const [name, e] of rows) console.log(`| ${name} | ${e.calls} | ${e.ms.toFixed(1)} | ${total > 0 ? ((100 * e.ms) / total).toFixed(1) : '–'} % |`)
tf.dispose([x, target])
opt.dispose()
model.dispose()
process.exit(0)
