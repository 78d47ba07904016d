// Compute cost of a zoo model: learnable parameters and GFLOPs per patch, counted from the kernels one forward pass
// runs (tf.profile), so the number follows the real graph rather than a formula per architecture.
// Counted: convolutions (2·Ho·Wo·Co·kh·kw·Ci per image), depthwise convolutions, matrix products (2·m·n·k).
// Elementwise ops, norms and pooling are left out (the usual convention; they are a few % of a CNN's FLOPs).
import * as tf from '@tensorflow/tfjs'
import type { ZooModel } from './models/manifest'

export interface ComputeCost {
  parameters: number
  gflopsPerPatch: number
}

const prod = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1)

/** FLOPs of one profiled kernel for the whole batch, 0 for kernels that are not counted. */
export function kernelFlops(name: string, inputShapes: (number[] | undefined)[], outputShapes: (number[] | undefined)[]): number {
  const out = outputShapes[0]
  if (!out) return 0
  if (name === 'Conv2D' || name === 'FusedConv2D') {
    const filter = inputShapes[1] // [kh, kw, ci, co]
    if (!filter || filter.length !== 4) return 0
    return 2 * prod(out) * (filter[0] as number) * (filter[1] as number) * (filter[2] as number)
  }
  if (name === 'DepthwiseConv2dNative' || name === 'FusedDepthwiseConv2D') {
    const filter = inputShapes[1] // [kh, kw, ci, multiplier]
    if (!filter || filter.length !== 4) return 0
    return 2 * prod(out) * (filter[0] as number) * (filter[1] as number)
  }
  if (name === 'BatchMatMul' || name === '_FusedMatMul' || name === 'MatMul') {
    const a = inputShapes[0]
    const b = inputShapes[1]
    if (!a || !b || a.length < 2 || b.length < 2) return 0
    // the shared dimension k: the one of a's last two dims that b's last two dims also contain (transposes unknown here)
    const [a1, a2] = [a[a.length - 2] as number, a[a.length - 1] as number]
    const [b1, b2] = [b[b.length - 2] as number, b[b.length - 1] as number]
    const k = a2 === b1 || a2 === b2 ? a2 : a1
    return 2 * prod(out) * k
  }
  return 0
}

/** Parameters and GFLOPs per patch of `model` at its input size (one forward pass of a 1-patch batch, inference mode). */
export async function measureComputeCost(model: ZooModel): Promise<ComputeCost> {
  const parameters = model.params.params.filter((p) => p.trainable).reduce((n, p) => n + prod(p.variable.shape), 0)
  const s = model.manifest.inputSize
  const info = await tf.profile(() => {
    const y = tf.tidy(() => model.apply(tf.zeros([1, s, s, 3]) as tf.Tensor4D, false))
    y.dispose()
  })
  let flops = 0
  for (const k of info.kernels) {
    const ins = (k.inputShapes ?? []) as (number[] | undefined)[]
    const outs = (k.outputShapes ?? []) as (number[] | undefined)[]
    flops += kernelFlops(k.name, ins, outs)
  }
  return { parameters, gflopsPerPatch: flops / 1e9 }
}
