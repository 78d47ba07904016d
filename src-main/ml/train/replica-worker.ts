// Worker thread hosting one training Replica on its own tfjs + wasm instance. Protocol (all replies carry `id`):
// init → {gradSize, bufferSize, hash}; attach(shared buffers); grads(batch) → loss (gradient written to its shared slot);
// apply → sums all slots, applies, averages buffers; snapshot → weights; dispose.
import * as tf from '@tensorflow/tfjs'
import { createHash } from 'node:crypto'
import { parentPort, workerData } from 'node:worker_threads'
import { useBackend, type BackendName } from '../backend'
import { Replica, loadTask } from './replica'
import type { Batch, OptimizerSpec, TaskSpec } from './types'

interface Shared { grads: Float32Array[]; buffers: Float32Array[]; weights: number[] }
if (!parentPort) throw new Error('replica-worker must run in a worker thread')
const port = parentPort
const { index } = workerData as { index: number }
let replica: Replica | null = null
let shared: Shared | null = null

function need<T>(v: T | null, what: string): T {
  if (v === null) throw new Error(`replica ${index}: ${what} before init/attach`)
  return v
}

type Msg =
  | { id: number; type: 'init'; task: TaskSpec; optimizer: OptimizerSpec; backend: BackendName }
  | { id: number; type: 'attach'; grads: SharedArrayBuffer; buffers: SharedArrayBuffer; workers: number }
  | { id: number; type: 'grads'; batch: Batch; microRows: number; totalRows: number }
  | { id: number; type: 'apply'; weights: number[] }
  | { id: number; type: 'snapshot' }
  | { id: number; type: 'dispose' }

port.on('message', (msg: Msg) => {
  void (async () => {
    try {
      port.postMessage({ id: msg.id, ok: true, result: await handle(msg) })
    } catch (err) {
      port.postMessage({ id: msg.id, ok: false, error: (err as Error).stack ?? String(err) })
    }
  })()
})

async function handle(msg: Msg): Promise<unknown> {
  switch (msg.type) {
    case 'init': {
      await useBackend(msg.backend)
      replica = new Replica(await loadTask(msg.task), msg.optimizer)
      const hash = createHash('sha256').update(new Uint8Array((await replica.snapshot()).buffer)).digest('hex')
      return { gradSize: replica.gradSize, bufferSize: replica.bufferSize, hash }
    }
    case 'attach': {
      const r = need(replica, 'attach')
      const grads = [], buffers = []
      for (let w = 0; w < msg.workers; w++) {
        grads.push(new Float32Array(msg.grads, w * r.gradSize * 4, r.gradSize))
        buffers.push(new Float32Array(msg.buffers, w * r.bufferSize * 4, r.bufferSize))
      }
      shared = { grads, buffers, weights: [] }
      return null
    }
    case 'grads': {
      const r = need(replica, 'grads'), s = need(shared, 'grads')
      const loss = await r.computeGradients(msg.batch, msg.microRows, msg.totalRows, s.grads[index] as Float32Array)
      await r.readBuffers(s.buffers[index] as Float32Array)
      return { loss }
    }
    case 'apply': {
      const r = need(replica, 'apply'), s = need(shared, 'apply')
      // every replica sums the same slots in the same order → bit-identical updates, weights stay in sync
      const sum = new Float32Array(r.gradSize)
      for (const g of s.grads) for (let i = 0; i < sum.length; i++) sum[i] = (sum[i] as number) + (g[i] as number)
      r.applyGradients(sum)
      if (r.bufferSize) {
        const avg = new Float32Array(r.bufferSize)
        s.buffers.forEach((b, w) => { const k = msg.weights[w] ?? 0; for (let i = 0; i < avg.length; i++) avg[i] = (avg[i] as number) + (b[i] as number) * k })
        r.writeBuffers(avg)
      }
      return { numTensors: tf.memory().numTensors }
    }
    case 'snapshot': return need(replica, 'snapshot').snapshot()
    case 'dispose': {
      replica?.dispose()
      replica = null
      setImmediate(() => port.close())
      return null
    }
  }
}
