// Reads HDF5 feature files in a throwaway child process with a timeout (reliability.md §5: HDF5 reads are isolated).
// Cost: ~0.3 s process start per file under tsx; the arrays come back through structured-clone IPC.
import { processEntry } from '../core/entry-point'
import type { ChildProcess } from 'node:child_process'
import { launchChild } from '../core/child-launch'
import { oneShotChild } from '../core/one-shot-child'
import { closeSync, readSync } from 'node:fs'
import { openRegularFileSync, SafeOpenError } from '../core/safe-open'
import { HDF5_SIGNATURE, Hdf5FileError, H5_LIMITS, type FeatureFileData } from './hdf5'

function entry(): { file: string; execArgv: string[] } {
  return processEntry(import.meta.url, 'hdf5-reader-process')
}

/** Timeout grows with the file: 10 s plus 1 s per 50 MB. */
export function readTimeoutMs(bytes: number): number {
  return 10_000 + Math.ceil(bytes / 50e6) * 1000
}

/** Regular files only, checked before the open (a FIFO would hang it, here or in the reader); see core/safe-open. */
function openRegular(file: string): { fd: number; stats: { size: number } } {
  try {
    return openRegularFileSync(file, { what: 'feature file' })
  } catch (e) {
    if (e instanceof SafeOpenError) throw new Hdf5FileError(file, e.problem === 'not_found' ? 'file not found' : e.message.slice(file.length + 2))
    throw e
  }
}

export async function readFeatureFile(file: string, options: { timeoutMs?: number } = {}): Promise<FeatureFileData> {
  const opened = openRegular(file)
  const { fd } = opened
  const size = opened.stats.size
  if (size > H5_LIMITS.maxFileBytes) {
    closeSync(fd)
    throw new Hdf5FileError(file, `file is ${size} bytes, above the ${H5_LIMITS.maxFileBytes}-byte cap`)
  }
  // cheap signature check here saves a process start for files that are plainly not HDF5
  const sig = Buffer.alloc(8)
  try {
    readSync(fd, sig, 0, 8, 0)
  } finally {
    closeSync(fd)
  }
  if (!sig.equals(HDF5_SIGNATURE)) throw new Hdf5FileError(file, 'not an HDF5 file (signature missing)')
  const { file: script, execArgv } = entry()
  const timeoutMs = options.timeoutMs ?? readTimeoutMs(size)
  // the child's V8 heap must hold the largest allowed dataset (2 GiB float32) plus its copy for IPC
  return oneShotChild<{ ok: true; data: FeatureFileData } | { ok: false; message: string }, FeatureFileData>({
    script, execArgv, heapMiB: 6144, timeoutMs, request: { file },
    onReply: (msg) => (msg.ok ? msg.data : new Hdf5FileError(file, msg.message.replace(`${file}: `, ''))),
    timeoutError: (s) => new Hdf5FileError(file, `reading took longer than ${s} s; the reader was stopped`),
    exitError: (how, last) => new Hdf5FileError(file, `the HDF5 reader stopped (${how})${last ? `: ${last}` : ''}`),
    startError: (e) => new Hdf5FileError(file, `cannot start the HDF5 reader: ${e.message}`)
  })
}

/**
 * Several files through one reader process: one process start (~0.3 s under tsx, seconds under test loaders) for a
 * whole batch instead of one per file. A timeout or crash fails that read only; the next read starts a fresh process.
 */
export class Hdf5ReaderSession {
  private child: ChildProcess | null = null
  private stderr = ''

  async read(file: string, options: { timeoutMs?: number } = {}): Promise<FeatureFileData> {
    const { fd, stats } = openRegular(file)
    closeSync(fd)
    const size = stats.size
    if (size > H5_LIMITS.maxFileBytes) throw new Hdf5FileError(file, `file is ${size} bytes, above the ${H5_LIMITS.maxFileBytes}-byte cap`)
    const fresh = !this.child
    if (!this.child) {
      const { file: script, execArgv } = entry()
      const child = launchChild(script, { execArgv: [...execArgv, '--max-old-space-size=6144'], stdout: 'ignore', stderr: 'pipe' })
      this.stderr = ''
      child.stderr?.on('data', (b: Buffer) => {
        if (this.stderr.length < 4000) this.stderr += b.toString()
      })
      child.on('exit', () => {
        if (this.child === child) this.child = null
      })
      this.child = child
    }
    const child = this.child
    // a fresh process first loads tsx and h5wasm: seconds on a busy machine, which must not count as a hung read
    const timeoutMs = (options.timeoutMs ?? readTimeoutMs(size)) + (fresh ? 30_000 : 0)
    return new Promise<FeatureFileData>((resolve, reject) => {
      const cleanup = (): void => {
        clearTimeout(timer)
        child.off('message', onMessage)
        child.off('exit', onExit)
        child.off('error', onError)
      }
      const onMessage = (msg: { ok: true; data: FeatureFileData } | { ok: false; message: string }): void => {
        cleanup()
        if (msg.ok) resolve(msg.data)
        else reject(new Hdf5FileError(file, msg.message.replace(`${file}: `, '')))
      }
      const onExit = (code: number | null, signal: string | null): void => {
        cleanup()
        const last = this.stderr.trim().split('\n').slice(-1)[0] ?? ''
        reject(new Hdf5FileError(file, `the HDF5 reader stopped (${signal ?? `exit code ${code}`})${last ? `: ${last}` : ''}`))
      }
      const onError = (e: Error): void => {
        cleanup()
        reject(new Hdf5FileError(file, `cannot start the HDF5 reader: ${e.message}`))
      }
      const timer = setTimeout(() => {
        cleanup()
        child.kill('SIGKILL')
        if (this.child === child) this.child = null
        reject(new Hdf5FileError(file, `reading took longer than ${Math.round(timeoutMs / 1000)} s; the reader was stopped`))
      }, timeoutMs)
      child.on('message', onMessage)
      child.on('exit', onExit)
      child.on('error', onError)
      child.send({ file, more: true })
    })
  }

  close(): void {
    this.child?.kill('SIGTERM')
    this.child = null
  }
}
