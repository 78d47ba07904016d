// One request to a throwaway child process and its one reply, with a time limit: the shape shared by the isolated
// readers of hostile files (HDF5 features, model files). A crash, a hang or an early exit becomes an Error naming how
// the child stopped (with its last stderr line); the child is killed on timeout. Cost: one process start per call.
import { launchChild } from './child-launch'

export interface OneShotChild<Reply, Result> {
  script: string
  execArgv: string[]
  /** V8 heap cap of the child (MiB): a runaway parse fails early instead of swapping */
  heapMiB: number
  timeoutMs: number
  request: unknown
  /** the child's reply → the result, or the Error to reject with */
  onReply(reply: Reply): Result | Error
  timeoutError(seconds: number): Error
  /** `how`: the signal or "exit code N"; `lastLine`: the child's last stderr line ('' when none) */
  exitError(how: string, lastLine: string): Error
  startError(e: Error): Error
}

export function oneShotChild<Reply, Result>(o: OneShotChild<Reply, Result>): Promise<Result> {
  const child = launchChild(o.script, { execArgv: [...o.execArgv, `--max-old-space-size=${o.heapMiB}`], stdout: 'ignore', stderr: 'pipe' })
  let stderr = ''
  child.stderr?.on('data', (b: Buffer) => {
    if (stderr.length < 4000) stderr += b.toString()
  })
  return new Promise<Result>((resolve, reject) => {
    let settled = false
    const done = (fn: () => void): void => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      fn()
    }
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      done(() => reject(o.timeoutError(Math.round(o.timeoutMs / 1000))))
    }, o.timeoutMs)
    child.on('message', (msg: Reply) => {
      const r = o.onReply(msg)
      done(() => (r instanceof Error ? reject(r) : resolve(r)))
    })
    child.on('exit', (code, signal) => {
      const last = stderr.trim().split('\n').slice(-1)[0] ?? ''
      done(() => reject(o.exitError(signal ?? `exit code ${code}`, last)))
    })
    child.on('error', (e) => done(() => reject(o.startError(e))))
    // a child that dies at once makes the send fail (EPIPE) before its 'exit' arrives: the exit says how it died, so
    // the send error only decides when no exit follows
    child.send(o.request as Parameters<NonNullable<typeof child.send>>[0], (err) => {
      if (err) setTimeout(() => done(() => reject(o.startError(err))), 5000).unref()
    })
  })
}
