// JPEG 2000 decoding off the event loop: a small worker_threads pool, each worker holding its own OpenJPEG wasm
// instance. A 256² tile costs ~5–10 ms of CPU; in-process that would block the (Electron main / server) event loop,
// and with 2 workers tiles of one region decode in parallel. Workers are eval'd from a string so the pool works
// the same under tsx, vitest and a bundled build (the wasm module path is resolved here and passed in).
import { createRequire } from 'node:module'
import { cpus } from 'node:os'
import { Worker } from 'node:worker_threads'

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads')
const factory = require(workerData.modulePath)
const ready = factory({ print() {}, printErr() {} }).then((oj) => new oj.J2KDecoder())
parentPort.on('message', async ({ id, bytes, ycc }) => {
  try {
    const d = await ready
    d.getEncodedBuffer(bytes.length).set(bytes)
    d.decode()
    const info = d.getFrameInfo()
    const n = info.width * info.height * info.componentCount
    const decoded = d.getDecodedBuffer()
    if (decoded.length < n) throw new Error('JPEG 2000 tile has subsampled components (not supported)')
    const out = new Uint8Array(n)
    out.set(decoded.subarray(0, n))
    if (ycc && info.componentCount === 3) {
      // full-range BT.601 YCbCr → RGB (Aperio 33003); clamped-array rounding matches OpenSlide 3.4.1
      const c = new Uint8ClampedArray(out.buffer)
      for (let i = 0; i < n; i += 3) {
        const y = c[i], cb = c[i + 1] - 128, cr = c[i + 2] - 128
        c[i] = y + 1.402 * cr
        c[i + 1] = y - 0.344136 * cb - 0.714136 * cr
        c[i + 2] = y + 1.772 * cb
      }
    }
    parentPort.postMessage({ id, ok: true, data: out, width: info.width, height: info.height, channels: info.componentCount, bits: info.bitsPerSample }, [out.buffer])
  } catch (e) {
    parentPort.postMessage({ id, ok: false, error: String(e && e.message ? e.message : e) })
  }
})
`

interface Reply {
  id: number
  ok: boolean
  error?: string
  data?: Uint8Array
  width?: number
  height?: number
  channels?: number
  bits?: number
}
export interface RawJ2k {
  data: Uint8Array
  width: number
  height: number
  channels: number
  bits: number
}

class J2kPool {
  private readonly workers: Worker[] = []
  private readonly pending = new Map<number, { resolve: (r: RawJ2k) => void; reject: (e: Error) => void; worker: Worker }>()
  private nextId = 1
  private turn = 0

  constructor(private readonly size: number) {}

  private worker(): Worker {
    if (this.workers.length < this.size) {
      const modulePath = createRequire(import.meta.url).resolve('@cornerstonejs/codec-openjpeg/decodewasmjs')
      const w = new Worker(WORKER_SOURCE, { eval: true, workerData: { modulePath } })
      w.on('message', (r: Reply) => {
        const p = this.pending.get(r.id)
        if (!p) return
        this.pending.delete(r.id)
        this.settled(w)
        if (r.ok) p.resolve({ data: r.data!, width: r.width!, height: r.height!, channels: r.channels!, bits: r.bits! })
        else p.reject(new Error(r.error ?? 'JPEG 2000 decode failed'))
      })
      w.on('error', (e) => this.failAll(w, e))
      w.on('exit', () => this.failAll(w, new Error('JPEG 2000 worker exited')))
      // Quirk: adding a 'message' listener re-refs the worker's port, so unref() must come after the listeners (done
      // before them, the CLI never exited after a JPEG 2000 read). A worker is ref'd only while it holds requests:
      // idle workers never keep the process alive, busy ones must (else the process exits mid-decode, code 13).
      w.unref()
      this.workers.push(w)
      return w
    }
    return this.workers[this.turn++ % this.workers.length]!
  }

  private settled(w: Worker): void {
    for (const p of this.pending.values()) if (p.worker === w) return
    w.unref()
  }

  /** A dead worker is dropped (requests it held are failed; a fresh one is made on demand). */
  private failAll(w: Worker, e: Error): void {
    const i = this.workers.indexOf(w)
    if (i >= 0) this.workers.splice(i, 1)
    for (const [id, p] of this.pending) {
      if (p.worker === w) {
        this.pending.delete(id)
        p.reject(e)
      }
    }
  }

  /** Decode a codestream; `ycc`: the samples are YCbCr (Aperio 33003) and are converted to RGB in the worker. */
  decode(bytes: Uint8Array, ycc: boolean): Promise<RawJ2k> {
    const w = this.worker()
    const id = this.nextId++
    const copy = Uint8Array.from(bytes) // transferred: the caller's buffer stays intact
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, worker: w })
      w.ref()
      w.postMessage({ id, bytes: copy, ycc }, [copy.buffer])
    })
  }
}

let pool: J2kPool | null = null
/** Process-wide pool: min(2, cores) workers, created lazily on the first JPEG 2000 tile. */
export function j2kPool(): { decode(bytes: Uint8Array, ycc: boolean): Promise<RawJ2k> } {
  pool ??= new J2kPool(Math.max(1, Math.min(2, cpus().length)))
  return pool
}
