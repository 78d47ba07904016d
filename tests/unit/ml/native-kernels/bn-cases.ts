// Shared helpers of the native BatchNorm tests: BatchNorm shapes of ResNet-18/50 (real channel counts, spatial size and
// batch cut down for the pure-JS cpu reference) and one training-mode step of nn/layers' batchNorm2d on a backend.
import * as tf from '@tensorflow/tfjs'
import { useBackend } from '../../../../src-main/ml/backend'
import { fusedBatchNormAvailable } from '../../../../src-main/ml/nn/batch-norm-kernels'
import { batchNorm2d } from '../../../../src-main/ml/nn/layers'
import { ParamStore } from '../../../../src-main/ml/nn/params'
import { rand } from './conv-cases'

export interface BnCase { name: string; shape: [number, number, number, number]; offset: number; scale: number }

export const bnCases: BnCase[] = [
  { name: 'resnet stem bn1 (64 ch)', shape: [2, 16, 16, 64], offset: 0, scale: 1 },
  { name: 'resnet18 layer3 (256 ch), mean 5 std 3 (cancellation)', shape: [2, 4, 4, 256], offset: 5, scale: 3 },
  { name: 'resnet18 layer4 (512 ch), 2x2', shape: [2, 2, 2, 512], offset: -1, scale: 0.5 },
  { name: 'resnet50 bottleneck expand (256 ch), 7x7', shape: [1, 7, 7, 256], offset: 0.3, scale: 2 },
  { name: 'odd channel count, many rows (70 k values, 2 threads)', shape: [4, 30, 30, 19], offset: 1, scale: 1 },
  { name: 'a single row: variance 0', shape: [1, 1, 1, 8], offset: 0, scale: 1 }
]

export interface BnResult { y: Float32Array; dx: Float32Array; dGamma: Float32Array; dBeta: Float32Array; runMean: Float32Array; runVar: Float32Array; fused: boolean }

/** y and the gradients of sum(bn(x) · r) with non-trivial γ, β, plus the running statistics after the step. */
export async function bnStep(backend: 'cpu' | 'wasm', c: BnCase): Promise<BnResult> {
  await useBackend(backend)
  process.env['TESSERA_FUSED_BATCHNORM'] = '1' // the default, whatever the caller's env says; the cpu backend has no fused kernels
  const ch = c.shape[3]
  const store = new ParamStore(0)
  const bn = batchNorm2d(store, 'bn', ch)
  const gamma = store.get('bn.weight')?.variable as tf.Variable, beta = store.get('bn.bias')?.variable as tf.Variable
  gamma.assign(tf.tensor1d(rand(ch, 21).map((v) => 1 + 0.5 * v)))
  beta.assign(tf.tensor1d(rand(ch, 22)))
  const n = c.shape.reduce((a, b) => a * b, 1)
  const x = tf.tensor4d(rand(n, 23).map((v) => c.offset + c.scale * v), c.shape)
  const r = tf.tensor4d(rand(n, 24), c.shape)
  const y = bn(x, true)
  const { grads } = tf.variableGrads(() => tf.sum(tf.mul(bn(x as tf.Tensor4D, true), r)) as tf.Scalar, [gamma, beta])
  const dx = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(bn(t as tf.Tensor4D, true), r)))(x)
  const read = async (t: tf.Tensor | undefined): Promise<Float32Array> => (await (t as tf.Tensor).data()) as Float32Array
  const out: BnResult = { y: await read(y), dx: await read(dx), dGamma: await read(grads[gamma.name]), dBeta: await read(grads[beta.name]),
    runMean: await read(store.get('bn.running_mean')?.variable), runVar: await read(store.get('bn.running_var')?.variable), fused: fusedBatchNormAvailable() }
  tf.dispose([x, r, y, dx, ...Object.values(grads)])
  store.dispose()
  return out
}
