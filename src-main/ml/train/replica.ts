// One training replica: owns a task (model + loss) and an optimizer on its own tfjs instance. Computes the gradient
// of its share of a batch over micro-batches (gradient accumulation keeps the wasm heap small), flattens it into one
// Float32Array, and applies an averaged gradient. Used in-process and inside each worker thread.
import * as tf from '@tensorflow/tfjs'
import { pathToFileURL } from 'node:url'
import { FusedAdamOptimizer } from './fused-adam'
import type { Batch, OptimizerSpec, TaskSpec, TrainTask } from './types'

export function sliceBatch(batch: Batch, start: number, end: number): Batch {
  const out: Batch = {}
  for (const [k, v] of Object.entries(batch)) {
    const rowSize = v.shape.slice(1).reduce((a, b) => a * b, 1)
    out[k] = { shape: [end - start, ...v.shape.slice(1)], data: v.data.subarray(start * rowSize, end * rowSize) }
  }
  return out
}

export function batchRows(batch: Batch): number {
  const rows = Object.values(batch).map((v) => v.shape[0] as number)
  if (!rows.length) throw new Error('empty batch')
  if (rows.some((r) => r !== rows[0])) throw new Error(`batch entries disagree on the number of rows: ${rows.join(', ')}`)
  return rows[0] as number
}

export async function loadTask(spec: TaskSpec): Promise<TrainTask> {
  const url = spec.module.startsWith('file:') ? spec.module : pathToFileURL(spec.module).href
  const mod = (await import(url)) as { createTask?: (o: Record<string, unknown>) => TrainTask | Promise<TrainTask> }
  if (typeof mod.createTask !== 'function') throw new Error(`${spec.module}: task module has no exported createTask(options)`)
  return mod.createTask(spec.options ?? {})
}

function makeOptimizer(spec: OptimizerSpec): tf.Optimizer {
  // tf.train.adam, with the update fused into one native kernel per variable on wasm (bit-identical)
  if (spec.kind === 'adam') return new FusedAdamOptimizer(spec.lr, spec.beta1 ?? 0.9, spec.beta2 ?? 0.999, spec.epsilon ?? 1e-8)
  if (spec.momentum) return tf.train.momentum(spec.lr, spec.momentum)
  return tf.train.sgd(spec.lr)
}

export class Replica {
  readonly gradSize: number
  readonly bufferSize: number
  private readonly optimizer: tf.Optimizer
  constructor(readonly task: TrainTask, private readonly opt: OptimizerSpec) {
    this.gradSize = task.trainable.reduce((n, v) => n + v.size, 0)
    this.bufferSize = task.buffers.reduce((n, v) => n + v.size, 0)
    this.optimizer = makeOptimizer(opt)
  }

  /**
   * Gradient of mean loss over `batch` rows, weighted by rows/totalRows (so replicas' results just add up), summed
   * over micro-batches of at most `microRows` rows, written into `out` (length gradSize). Returns the weighted loss.
   */
  async computeGradients(batch: Batch, microRows: number, totalRows: number, out: Float32Array): Promise<number> {
    out.fill(0)
    const rows = batchRows(batch)
    let loss = 0
    for (let start = 0; start < rows; start += microRows) {
      const end = Math.min(rows, start + microRows)
      const weight = (end - start) / totalRows
      const micro = sliceBatch(batch, start, end)
      const inputs: Record<string, tf.Tensor> = {}
      for (const [k, v] of Object.entries(micro)) inputs[k] = tf.tensor(v.data, v.shape)
      const { value, grads } = tf.variableGrads(() => this.task.loss(inputs), this.task.trainable)
      // async reads: webgpu in Node cannot read synchronously (dataSync needs OffscreenCanvas there)
      loss += ((await value.data())[0] as number) * weight
      let offset = 0
      for (const v of this.task.trainable) {
        const g = grads[v.name]
        // a variable the loss does not touch gets no gradient entry: its slot stays zero
        if (g) {
          const data = (await g.data()) as Float32Array
          for (let i = 0; i < data.length; i++) out[offset + i] = (out[offset + i] as number) + (data[i] as number) * weight
        }
        offset += v.size
      }
      tf.dispose([value, ...Object.values(grads), ...Object.values(inputs)])
    }
    return loss
  }

  /**
   * Single-replica step kept on the device: gradients are accumulated as tensors and applied without a round trip
   * through JS memory (on a GPU the 47 MB/step read-back of ResNet-18 gradients would dominate). Returns the loss.
   */
  async stepOnDevice(batch: Batch, microRows: number): Promise<number> {
    const rows = batchRows(batch)
    let acc: Record<string, tf.Tensor> | null = null
    let loss = 0
    for (let start = 0; start < rows; start += microRows) {
      const end = Math.min(rows, start + microRows)
      const weight = (end - start) / rows
      const inputs: Record<string, tf.Tensor> = {}
      for (const [k, v] of Object.entries(sliceBatch(batch, start, end))) inputs[k] = tf.tensor(v.data, v.shape)
      const { value, grads } = tf.variableGrads(() => this.task.loss(inputs), this.task.trainable)
      const prev: Record<string, tf.Tensor> | null = acc
      acc = tf.tidy(() => {
        const next: Record<string, tf.Tensor> = {}
        for (const [name, g] of Object.entries(grads)) next[name] = prev?.[name] ? tf.add(prev[name] as tf.Tensor, tf.mul(g, weight)) : tf.mul(g, weight)
        return next
      })
      if (prev) tf.dispose(Object.values(prev))
      loss += ((await value.data())[0] as number) * weight
      tf.dispose([value, ...Object.values(grads), ...Object.values(inputs)])
    }
    const final = acc as Record<string, tf.Tensor>
    const wd = this.opt.weightDecay ?? 0
    tf.tidy(() => {
      if (wd) for (const v of this.task.trainable) v.assign(tf.mul(v, 1 - this.opt.lr * wd))
      this.optimizer.applyGradients(final)
    })
    tf.dispose(Object.values(final))
    return loss
  }

  /** Applies a (summed, already averaged) flat gradient with the optimizer; decoupled weight decay first if asked. */
  applyGradients(flat: Float32Array): void {
    const wd = this.opt.weightDecay ?? 0
    tf.tidy(() => {
      const named: Record<string, tf.Tensor> = {}
      let offset = 0
      for (const v of this.task.trainable) {
        named[v.name] = tf.tensor(flat.subarray(offset, offset + v.size), v.shape)
        offset += v.size
        if (wd) v.assign(tf.mul(v, 1 - this.opt.lr * wd))
      }
      this.optimizer.applyGradients(named)
    })
  }

  async readBuffers(out: Float32Array): Promise<void> {
    let offset = 0
    for (const v of this.task.buffers) { out.set((await v.data()) as Float32Array, offset); offset += v.size }
  }

  writeBuffers(values: Float32Array): void {
    let offset = 0
    for (const v of this.task.buffers) {
      const slice = values.subarray(offset, offset + v.size)
      tf.tidy(() => v.assign(tf.tensor(slice, v.shape)))
      offset += v.size
    }
  }

  /** Trainable then buffer values, flat, in task order (for identical-init checks and export). */
  async snapshot(): Promise<Float32Array> {
    const out = new Float32Array(this.gradSize + this.bufferSize)
    let offset = 0
    for (const v of [...this.task.trainable, ...this.task.buffers]) { out.set((await v.data()) as Float32Array, offset); offset += v.size }
    return out
  }

  dispose(): void {
    this.optimizer.dispose()
    this.task.dispose()
  }
}
