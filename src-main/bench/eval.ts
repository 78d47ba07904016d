// Benchmark of the evaluation room: ABMIL training throughput on ~500×512 bags (wasm and cpu backends), a full
// k-fold CV on a synthetic cohort, and the cost of the statistics (bootstrap CIs, DeLong). Single process, 1 thread.
import { cpus } from 'node:os'
import * as tf from '@tensorflow/tfjs'
import type { BenchContext } from './harness'
import { useBackend } from '../ml/backend'
import { createMilModel, defaultMilConfig } from '../ml/mil/models'
import { crossValidate } from '../ml/mil/cross-validation'
import { auc } from '../eval/metrics'
import { bootstrapCi, delongTest } from '../eval/statistics'
import { makeSplits } from '../eval/splits'
import { syntheticCohort } from '../eval/synthetic-bags'

const round = (v: number, d = 2): number => Math.round(v * 10 ** d) / 10 ** d

/** Seconds per training step (forward + backward + Adam) of one bag, median of `steps` after 3 warm-up steps. */
function stepSeconds(patches: number, dim: number, steps: number): number {
  const model = createMilModel({ aggregator: 'abmil', inputDim: dim, classes: 2, ...defaultMilConfig }, 1)
  const opt = tf.train.adam(5e-4)
  const x = tf.randomNormal([patches, dim], 0, 1, 'float32', 1) as tf.Tensor2D
  const oneHot = tf.tensor1d([0, 1])
  const times: number[] = []
  for (let i = 0; i < steps + 3; i++) {
    const t0 = performance.now()
    const cost = opt.minimize(() => tf.neg(tf.sum(tf.mul(tf.logSoftmax(model.forward(x).logits), oneHot))) as tf.Scalar, true, model.variables)
    cost?.dataSync()
    cost?.dispose()
    if (i >= 3) times.push((performance.now() - t0) / 1000)
  }
  model.dispose()
  opt.dispose()
  x.dispose()
  oneHot.dispose()
  times.sort((a, b) => a - b)
  return times[Math.floor(times.length / 2)] as number
}

export async function benchEval(ctx: BenchContext): Promise<Record<string, unknown>> {
  const cores = cpus().length
  const figures: Record<string, unknown> = { cores, threads_used: 1, model: `ABMIL gated, D=512 → H=${defaultMilConfig.hidden} → A=${defaultMilConfig.attentionDim}` }
  for (const backend of ['wasm', 'cpu'] as const) {
    await useBackend(backend)
    const s = stepSeconds(500, 512, ctx.quick ? 5 : 20)
    figures[`abmil_train_step_500x512_${backend}`] = { backend, seconds_per_bag: round(s, 4), patches_per_s: Math.round(500 / s) }
    ctx.log(`eval bench: ${backend} ABMIL step ${round(s * 1000, 1)} ms per 500-patch bag`)
  }

  await useBackend('wasm')
  const slides = ctx.quick ? 20 : 60
  const epochs = ctx.quick ? 3 : 10
  const bags = syntheticCohort({ slides, patches: 500, dim: 512, seed: 1, signal: 2 })
  const splits = makeSplits(
    bags.map((b) => ({ slideId: b.slideId, label: b.label, patientId: b.patientId })),
    { k: 5, seed: 1 }
  )
  const t0 = performance.now()
  // patience = epochs: every fold runs all epochs, so the figure is a fixed amount of work
  const cv = await crossValidate(bags, splits, { aggregator: 'abmil', classes: 2, seed: 1, learningRate: 5e-4, maxEpochs: epochs, patience: epochs })
  const cvSeconds = (performance.now() - t0) / 1000
  const trainBagSteps = splits.folds.reduce((n, f) => n + f.train.length, 0) * epochs
  figures['abmil_cv_wasm'] = {
    backend: 'wasm',
    slides,
    patches_per_slide: 500,
    dim: 512,
    folds: 5,
    epochs_per_fold: epochs,
    seconds: round(cvSeconds, 1),
    bag_steps_per_s: round(trainBagSteps / cvSeconds, 1),
    auc_pooled: round(auc(cv.oof), 3)
  }
  ctx.log(`eval bench: ${slides}-slide 5-fold ABMIL CV, ${epochs} epochs: ${round(cvSeconds, 1)} s`)

  const n = 200
  const labels = Int32Array.from({ length: n }, (_, i) => i % 2)
  const probs = new Float64Array(n * 2)
  for (let i = 0; i < n; i++) {
    const p = (labels[i] as number) * 0.3 + ((i * 7919) % 100) / 150
    probs[i * 2] = 1 - p
    probs[i * 2 + 1] = p
  }
  let t = performance.now()
  bootstrapCi({ labels, probs, classes: 2 }, auc, { seed: 1, resamples: 2000 })
  figures['bootstrap_auc_ci_200_slides_2000_resamples_s'] = round((performance.now() - t) / 1000, 3)
  t = performance.now()
  const scores = Array.from({ length: n }, (_, i) => probs[i * 2 + 1] as number)
  delongTest(scores, scores.map((s, i) => s + (i % 3) / 50), Array.from(labels, (l) => l === 1))
  figures['delong_200_slides_s'] = round((performance.now() - t) / 1000, 4)
  return figures
}
