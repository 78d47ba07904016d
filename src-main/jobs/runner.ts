// Child-process entry that runs one job: receives `start`, reports progress, exits when done.
// Runs out of the parent's process so a crash in native code (decoders, FFI) or a kill cannot take the app down.
import '../core/child-ipc' // first: bridges an Electron utility process's parentPort to process.send/on('message')
import { isStoreDiskFull, openDatabase, type Db } from '../store/database'
import { readJobState, writeJobState } from '../store/jobs-repo'
import { jobKinds } from '../workers/index'
import { JobCancelled, type JobContext } from './job-context'
import type { ChildMessage, ParentMessage, StartMessage } from './protocol'

const controller = new AbortController()

function send(msg: ChildMessage): void {
  if (process.connected) process.send?.(msg)
}

async function runJob(msg: StartMessage): Promise<void> {
  let db: Db | null = null
  try {
    const entry = jobKinds[msg.kind]
    if (!entry) throw new Error(`unknown job kind "${msg.kind}"`)
    const kind = await entry.load()
    db = openDatabase(msg.dbPath)
    const openDb = db
    let lastSent = 0
    const ctx: JobContext = {
      jobId: msg.jobId,
      params: msg.params,
      resume: msg.resume,
      signal: controller.signal,
      db: openDb,
      dbPath: msg.dbPath,
      progress(fraction, message = null, extra = {}) {
        const now = Date.now()
        // throttle: at most ~10 messages/s, but always send the final one
        if (fraction < 1 && now - lastSent < 100) return
        lastSent = now
        send({ type: 'progress', fraction: Math.max(0, Math.min(1, fraction)), message, ...extra })
      },
      readState: <T extends Record<string, unknown>>() => readJobState(openDb, msg.jobId) as T | null,
      writeState: (state) => writeJobState(openDb, msg.jobId, state)
    }
    const result = await kind.run(ctx)
    // every job reports the peak memory of its process (benchmarks and the demo summary show it)
    send({ type: 'done', result: { ...result, peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024) } })
  } catch (e) {
    const cancelled = e instanceof JobCancelled || controller.signal.aborted
    let message = (e as Error).message || String(e)
    // SQLite says only "database or disk is full": name the file and the cause
    if (!cancelled && isStoreDiskFull(e) && !message.includes(msg.dbPath)) message = `${msg.dbPath}: no space left on device (ENOSPC): ${message}`
    send({ type: 'failed', message: cancelled ? 'cancelled' : message, cancelled })
  } finally {
    db?.close()
    // give the IPC channel a moment to flush, then leave
    setTimeout(() => process.exit(0), 20)
  }
}

process.on('message', (msg: ParentMessage) => {
  if (msg.type === 'cancel') controller.abort()
  else if (msg.type === 'start') void runJob(msg)
})
// If the parent dies (kill -9), stop too: an orphan must not keep writing.
process.on('disconnect', () => process.exit(1))
