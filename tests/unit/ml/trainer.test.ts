// Data-parallel trainer: loss falls, tensors do not leak, and 2 worker threads give the same weights as one replica
// accumulating the same two micro-batches (gradients are averaged exactly).
import { describe, expect, it, beforeAll } from 'vitest'
import * as tf from '@tensorflow/tfjs'
import { fileURLToPath } from 'node:url'
import { useBackend } from '../../../src-main/ml/backend'
import { createTrainer } from '../../../src-main/ml/train/trainer'
import type { Batch } from '../../../src-main/ml/train/types'

const taskModule = fileURLToPath(new URL('../../../src-main/ml/train/tasks/feature-regression.ts', import.meta.url))
const task = { module: taskModule, options: { arch: 'smallcnn', width: 8, depth: 2, seed: 3 } }

function makeBatch(rows: number, size: number, dim: number): Batch {
  const x = new Float32Array(rows * size * size * 3), t = new Float32Array(rows * dim)
  for (let i = 0; i < x.length; i++) x[i] = Math.sin(i * 0.37) + Math.cos(i * 0.011)
  for (let i = 0; i < t.length; i++) t[i] = Math.cos(i * 1.3) * 0.5
  return { x: { shape: [rows, size, size, 3], data: x }, target: { shape: [rows, dim], data: t } }
}

describe('trainer', () => {
  beforeAll(async () => { await useBackend('wasm') })
  // smallcnn width 8 depth 2 → 16-d output
  const batch = makeBatch(8, 16, 16)

  it('in-process: loss falls when overfitting one batch and numTensors stays flat', async () => {
    const trainer = await createTrainer({ task, workers: 0, microBatch: 4, optimizer: { kind: 'adam', lr: 0.01 } })
    const losses: number[] = [], tensors: number[] = []
    for (let i = 0; i < 12; i++) {
      const r = await trainer.step(batch)
      losses.push(r.loss); tensors.push(r.numTensors[0] as number)
    }
    expect(losses[11] as number).toBeLessThan((losses[0] as number) * 0.8)
    expect(new Set(tensors.slice(1)).size).toBe(1)
    await trainer.dispose()
  })

  it('2 worker threads match one replica with the same micro-batches, and workers do not leak tensors', async () => {
    const optimizer = { kind: 'adam' as const, lr: 0.01 }
    const inline = await createTrainer({ task, workers: 0, microBatch: 4, optimizer })
    const threads = await createTrainer({ task, workers: 2, microBatch: 4, optimizer })
    expect(threads.parameterCount).toBe(inline.parameterCount)
    const counts: number[][] = []
    for (let i = 0; i < 3; i++) {
      const a = await inline.step(batch), b = await threads.step(batch)
      expect(Math.abs(a.loss - b.loss)).toBeLessThan(1e-5 * Math.max(1, Math.abs(a.loss)))
      counts.push(b.numTensors)
    }
    expect(counts[2]).toEqual(counts[1])
    const wa = await inline.snapshot(), wb = await threads.snapshot()
    let diff = 0
    for (let i = 0; i < inline.parameterCount; i++) diff = Math.max(diff, Math.abs((wa[i] as number) - (wb[i] as number)))
    expect(diff).toBeLessThan(1e-6)
    await inline.dispose(); await threads.dispose()
    expect(tf.getBackend()).toBe('wasm')
  })

  it('rejects a task module without createTask', async () => {
    const self = fileURLToPath(import.meta.url)
    await expect(createTrainer({ task: { module: self }, workers: 0, optimizer: { kind: 'sgd', lr: 0.1 } })).rejects.toThrow(/no exported createTask/)
  })
})
