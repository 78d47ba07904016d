// Backend-vs-cpu numerical checks shared by the vitest GPU suite and the standalone device runner (standalone.ts):
// conv2d value/gradients, transposed batchMatMul gradients, and a smallcnn train step (loss, grads, Adam, BN stats).
import * as tf from '@tensorflow/tfjs'
import { useBackend, type BackendName } from '../../src-main/ml/backend'
import { createModel } from '../../src-main/ml/models/zoo'
import { exportStateDict, loadStateDict } from '../../src-main/ml/weights'

export interface Check { name: string; limit: number; run(target: BackendName): Promise<number[]> }

function rand(n: number, seed: number): Float32Array {
  const out = new Float32Array(n)
  let s = seed >>> 0
  for (let i = 0; i < n; i++) { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; out[i] = s / 2 ** 31 - 1 }
  return out
}

export function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity
  let d = 0, s = 1e-6
  for (let i = 0; i < b.length; i++) { d = Math.max(d, Math.abs((a[i] as number) - (b[i] as number))); s = Math.max(s, Math.abs(b[i] as number)) }
  return d / s
}

/** Runs `fn` on a backend and returns plain arrays (so results survive backend switches). */
async function on(backend: BackendName, fn: () => tf.Tensor[]): Promise<Float32Array[]> {
  await useBackend(backend)
  const ts = fn()
  const out = await Promise.all(ts.map(async (t) => (await t.data()) as Float32Array))
  tf.dispose(ts)
  return out
}

/** Relative error of each output of `fn` on `target` vs cpu. */
async function compare(target: BackendName, fn: () => tf.Tensor[]): Promise<number[]> {
  const ref = await on('cpu', fn), got = await on(target, fn)
  return ref.map((r, i) => relErr(got[i] ?? [], r))
}

const convCases = [
  { n: 2, h: 9, w: 7, ci: 3, co: 5, k: 3, stride: 1, pad: 'same' as const },
  { n: 2, h: 10, w: 8, ci: 4, co: 6, k: 3, stride: 2, pad: 1 },
  { n: 1, h: 17, w: 12, ci: 3, co: 8, k: 7, stride: 2, pad: 3 },
  { n: 2, h: 8, w: 6, ci: 5, co: 4, k: 1, stride: 2, pad: 'valid' as const }
]

export const checks: Check[] = [
  ...convCases.map((c): Check => ({
    name: `conv2d value and gradients k${c.k} s${c.stride} pad ${c.pad}`,
    limit: 1e-4,
    run: (target) => compare(target, () => {
      const x = tf.tensor4d(rand(c.n * c.h * c.w * c.ci, 1), [c.n, c.h, c.w, c.ci])
      const w = tf.tensor4d(rand(c.k * c.k * c.ci * c.co, 2), [c.k, c.k, c.ci, c.co])
      const f = (a: tf.Tensor, b: tf.Tensor): tf.Tensor => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.stride, c.pad)
      const y = f(x, w)
      const r = tf.tensor(rand(y.size, 3), y.shape)
      const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(f(a, b), r)))([x, w]) as [tf.Tensor, tf.Tensor]
      tf.dispose([x, w, r])
      return [y, dx, dw]
    })
  })),
  {
    name: 'batchMatMul with transposes and its gradients',
    limit: 1e-4,
    run: (target) => compare(target, () => {
      const a = tf.tensor3d(rand(2 * 7 * 5, 4), [2, 7, 5]), b = tf.tensor3d(rand(2 * 3 * 7, 5), [2, 3, 7])
      const f = (p: tf.Tensor, q: tf.Tensor): tf.Tensor => tf.matMul(p as tf.Tensor3D, q as tf.Tensor3D, true, true)
      const y = f(a, b)
      const [da, db] = tf.grads((p: tf.Tensor, q: tf.Tensor) => tf.sum(tf.square(f(p, q))))([a, b]) as [tf.Tensor, tf.Tensor]
      tf.dispose([a, b])
      return [y, da, db]
    })
  },
  {
    name: 'smallcnn train step: loss, gradients, Adam update and BN running stats',
    limit: 1e-3,
    run: async (target) => {
      await useBackend('cpu')
      const seedModel = createModel('smallcnn', { width: 8, depth: 3, seed: 7 })
      const weights = await exportStateDict(seedModel)
      seedModel.dispose()
      return compare(target, () => {
        const model = createModel('smallcnn', { width: 8, depth: 3 })
        loadStateDict(model, weights)
        const x = tf.tensor4d(rand(4 * 32 * 32 * 3, 9), [4, 32, 32, 3]), t = tf.tensor2d(rand(4 * 32, 10), [4, 32])
        const vars = model.params.trainableVariables()
        const { value, grads } = tf.variableGrads(() => tf.mean(tf.abs(tf.sub(model.apply(x, true), t))) as tf.Scalar, vars)
        const gradList = vars.map((v) => (grads[v.name] as tf.Tensor).clone())
        const opt = tf.train.adam(1e-2)
        opt.applyGradients(grads as tf.NamedTensorMap as Record<string, tf.Variable>)
        const after = vars.map((v) => v.clone())
        const runStats = model.params.params.filter((p) => !p.trainable).map((p) => p.variable.clone())
        tf.dispose([x, t, ...Object.values(grads)])
        opt.dispose(); model.dispose()
        return [value, ...gradList, ...after, ...runStats]
      })
    }
  }
]
