// Types shared by the trainer, its replicas and worker threads: batches, tasks, optimizer specs, step results.
import type * as tf from '@tensorflow/tfjs'

/** A batch as plain typed arrays (transferable to worker threads); every entry is split along its first axis. */
export type Batch = Record<string, { shape: number[]; data: Float32Array }>

/** What a task module's `createTask(options)` returns, inside each replica (worker thread or in-process). */
export interface TrainTask {
  /** variables that get gradients and optimizer updates */
  trainable: tf.Variable[]
  /** state updated in the forward pass (BatchNorm running stats): averaged across workers after every step */
  buffers: tf.Variable[]
  /** scalar loss of one micro-batch (a mean over its rows); called inside tf.variableGrads, so it may create tensors freely */
  loss(batch: Record<string, tf.Tensor>): tf.Scalar
  /** optional: named weights for export (e.g. a zoo model's state dict names) */
  names?: string[]
  dispose(): void
}

/** A module path (absolute, or file URL) exporting `createTask(options): TrainTask | Promise<TrainTask>`. */
export interface TaskSpec {
  module: string
  options?: Record<string, unknown>
}

export type OptimizerSpec =
  | { kind: 'adam'; lr: number; beta1?: number; beta2?: number; epsilon?: number; weightDecay?: number }
  | { kind: 'sgd'; lr: number; momentum?: number; weightDecay?: number }

export interface StepResult {
  /** mean loss over the effective batch */
  loss: number
  rows: number
  /** tf.memory().numTensors in each replica after the step (flat across steps when nothing leaks) */
  numTensors: number[]
  /** wall seconds of the step (compute + gradient exchange + update) */
  seconds: number
  /** CPU seconds of this whole process (all worker threads) during the step: a load-independent cost figure */
  cpuSeconds: number
}
