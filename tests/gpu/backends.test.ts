// GPU backends (webgpu via Dawn, tensorflow via tfjs-node-gpu) against the cpu backend on small shapes: conv and matmul
// gradients and a full smallcnn train step (loss, gradients, Adam update). Runs only where the backend is available;
// elsewhere each suite prints why it was skipped. Standalone: `npx vitest run tests/gpu` (well under 2 minutes).
import { describe, expect, it } from 'vitest'
import * as tf from '@tensorflow/tfjs'
import { describeBackends, useBackend, type BackendName } from '../../src-main/ml/backend'
import { createModel } from '../../src-main/ml/models/zoo'
import { exportStateDict, loadStateDict } from '../../src-main/ml/weights'

const report = await describeBackends()
for (const f of report.found) console.log(`[gpu tests] ${f.name}: ${f.available ? 'available' : 'unavailable'} — ${f.reason}`)

function rand(n: number, seed: number): Float32Array {
  const out = new Float32Array(n)
  let s = seed >>> 0
  for (let i = 0; i < n; i++) { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; out[i] = s / 2 ** 31 - 1 }
  return out
}

function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
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

const convCases = [
  { n: 2, h: 9, w: 7, ci: 3, co: 5, k: 3, stride: 1, pad: 'same' as const },
  { n: 2, h: 10, w: 8, ci: 4, co: 6, k: 3, stride: 2, pad: 1 },
  { n: 1, h: 17, w: 12, ci: 3, co: 8, k: 7, stride: 2, pad: 3 },
  { n: 2, h: 8, w: 6, ci: 5, co: 4, k: 1, stride: 2, pad: 'valid' as const }
]

// TESSERA_GPU_TEST_ALSO=wasm runs the same checks on wasm too (validates this file on machines without a GPU)
const targets: BackendName[] = ['webgpu', 'tensorflow', ...(process.env['TESSERA_GPU_TEST_ALSO'] === 'wasm' ? ['wasm' as const] : [])]
for (const target of targets) {
  const probe = report.found.find((f) => f.backend === target && f.available)
  if (!probe) console.log(`[gpu tests] SKIPPED ${target}: ${report.found.filter((f) => f.backend === target).map((f) => f.reason).join('; ')}`)

  describe.skipIf(!probe)(`${target} backend vs cpu`, () => {
    for (const c of convCases) {
      it(`conv2d value and gradients k${c.k} s${c.stride} pad ${c.pad}`, async () => {
        const run = (): tf.Tensor[] => {
          const x = tf.tensor4d(rand(c.n * c.h * c.w * c.ci, 1), [c.n, c.h, c.w, c.ci])
          const w = tf.tensor4d(rand(c.k * c.k * c.ci * c.co, 2), [c.k, c.k, c.ci, c.co])
          const f = (a: tf.Tensor, b: tf.Tensor): tf.Tensor => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.stride, c.pad)
          const y = f(x, w)
          const r = tf.tensor(rand(y.size, 3), y.shape)
          const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(f(a, b), r)))([x, w]) as [tf.Tensor, tf.Tensor]
          tf.dispose([x, w, r])
          return [y, dx, dw]
        }
        const ref = await on('cpu', run), got = await on(target, run)
        ref.forEach((r, i) => expect(relErr(got[i] as Float32Array, r), ['y', 'dx', 'dw'][i]).toBeLessThan(1e-4))
      })
    }

    it('batchMatMul with transposes and its gradients', async () => {
      const run = (): tf.Tensor[] => {
        const a = tf.tensor3d(rand(2 * 7 * 5, 4), [2, 7, 5]), b = tf.tensor3d(rand(2 * 3 * 7, 5), [2, 3, 7])
        const f = (p: tf.Tensor, q: tf.Tensor): tf.Tensor => tf.matMul(p as tf.Tensor3D, q as tf.Tensor3D, true, true)
        const y = f(a, b)
        const [da, db] = tf.grads((p: tf.Tensor, q: tf.Tensor) => tf.sum(tf.square(f(p, q))))([a, b]) as [tf.Tensor, tf.Tensor]
        tf.dispose([a, b])
        return [y, da, db]
      }
      const ref = await on('cpu', run), got = await on(target, run)
      ref.forEach((r, i) => expect(relErr(got[i] as Float32Array, r)).toBeLessThan(1e-4))
    })

    it('smallcnn train step: loss, gradients and Adam update match cpu', async () => {
      await useBackend('cpu')
      const seedModel = createModel('smallcnn', { width: 8, depth: 3, seed: 7 })
      const weights = exportStateDict(seedModel)
      seedModel.dispose()
      const run = (): tf.Tensor[] => {
        const model = createModel('smallcnn', { width: 8, depth: 3 })
        loadStateDict(model, weights)
        const x = tf.tensor4d(rand(4 * 32 * 32 * 3, 9), [4, 32, 32, 3]), t = tf.tensor2d(rand(4 * 32, 10), [4, 32])
        const vars = model.params.trainableVariables()
        const { value, grads } = tf.variableGrads(() => tf.mean(tf.abs(tf.sub(model.apply(x, true), t))) as tf.Scalar, vars)
        const gradList = vars.map((v) => (grads[v.name] as tf.Tensor).clone())
        tf.train.adam(1e-2).applyGradients(grads as tf.NamedTensorMap as Record<string, tf.Variable>)
        const after = vars.map((v) => v.clone())
        const runStats = model.params.params.filter((p) => !p.trainable).map((p) => p.variable.clone())
        tf.dispose([x, t, ...Object.values(grads)])
        model.dispose()
        return [value, ...gradList, ...after, ...runStats]
      }
      const ref = await on('cpu', run), got = await on(target, run)
      expect(got.length).toBe(ref.length)
      ref.forEach((r, i) => expect(relErr(got[i] as Float32Array, r), `tensor ${i}`).toBeLessThan(1e-3))
    })
  })
}

it('reports the backends it found', () => {
  expect(report.found.length).toBeGreaterThanOrEqual(4)
})
