// Where a ResNet-18 training process's resident memory goes: `npx tsx scripts/rss-profile.ts [size=224] [micro=16]
// [batch=32] [steps=2]`. One in-thread replica on the wasm backend (native kernels when built), the bench's workload
// (feature regression, Adam); after set-up and after each step it splits /proc/self/smaps into the wasm heap (the one
// WebAssembly.Memory mapping: its reserved size and the pages touched), V8's JS heap, other anonymous memory (native
// malloc: oneDNN's primitive cache and scratch) and file-backed pages (code, libraries).
import * as tf from '@tensorflow/tfjs'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { selectBackend } from '../src-main/ml/backend'
import { createTrainer } from '../src-main/ml/train/trainer'
import { randomBatch } from '../src-main/bench/ml'

const mib = (b: number): number => Math.round(b / 2 ** 20)

interface Mapping { start: number; end: number; perms: string; file: boolean; rss: number }

function mappings(): Mapping[] {
  const out: Mapping[] = []
  for (const line of readFileSync('/proc/self/smaps', 'utf8').split('\n')) {
    const head = /^([0-9a-f]+)-([0-9a-f]+) (\S+) \S+ \S+ \d+\s*(.*)$/.exec(line)
    if (head) out.push({ start: parseInt(head[1] as string, 16), end: parseInt(head[2] as string, 16), perms: head[3] as string, file: (head[4] ?? '').startsWith('/'), rss: 0 })
    const rss = /^Rss:\s+(\d+) kB/.exec(line)
    const last = out[out.length - 1]
    if (rss && last) last.rss = Number(rss[1]) * 1024
  }
  return out
}

/**
 * Resident MiB of the wasm heap and of the rest. V8 reserves a WebAssembly.Memory as one large inaccessible region
 * (heap cap + guard pages) and makes its used part read-write as it grows: the heap is the anonymous read-write mapping
 * directly followed by an inaccessible one whose size is closest to the heap's current byte length.
 */
function split(heapBytes: number): Record<string, number> {
  const all = mappings()
  const candidates = all.filter((m, i) => !m.file && m.perms.startsWith('rw') && all[i + 1]?.start === m.end && all[i + 1]?.perms.startsWith('---') && m.end - m.start >= heapBytes)
  const heap = candidates.sort((a, b) => a.end - a.start - (b.end - b.start))[0]
  const sum = (ms: Mapping[]): number => ms.reduce((a, m) => a + m.rss, 0)
  return {
    wasm_heap_rss: heap ? mib(heap.rss) : NaN,
    other_anon_rss: mib(sum(all.filter((m) => !m.file && m !== heap))), file_rss: mib(sum(all.filter((m) => m.file)))
  }
}

async function main(): Promise<void> {
  const [size = 224, micro = 16, batchN = 32, steps = 2] = process.argv.slice(2).map(Number)
  await selectBackend('wasm')
  const task = fileURLToPath(new URL('../src-main/ml/train/tasks/feature-regression.ts', import.meta.url))
  const trainer = await createTrainer({ task: { module: task, options: { arch: 'resnet18' } }, workers: 0, microBatch: micro, optimizer: { kind: 'adam', lr: 1e-4 } })
  const batch = randomBatch({ x: [batchN, size, size, 3], target: [batchN, 512] })
  const wasm = (tf.backend() as unknown as { wasm: { HEAPU8: Uint8Array } }).wasm
  const report = (when: string): void => {
    const mu = process.memoryUsage()
    console.log(JSON.stringify({
      when, rss: mib(mu.rss), peak_rss: Math.round(process.resourceUsage().maxRSS / 1024), wasm_heap_size: mib(wasm.HEAPU8.buffer.byteLength),
      ...split(wasm.HEAPU8.buffer.byteLength), v8_heap_used: mib(mu.heapUsed), tf_bytes_live: mib(tf.memory().numBytes)
    }))
  }
  report('after set-up')
  for (let i = 0; i < steps; i++) {
    // peakBytes: tfjs's own count of live tensor bytes at the step's high point (the heap also holds allocator slack)
    const info = await tf.profile(async () => { await trainer.step(batch) })
    report(`after step ${i + 1} (tensor peak ${mib(info.peakBytes)} MiB)`)
  }
  await trainer.dispose()
}

main().catch((e: unknown) => { console.error(e); process.exit(1) })
