// The one-shot isolated child: a child that dies at once makes the request's send fail (EPIPE) before its exit is
// reported; the error must still say how it died (the exit), not "cannot start". Deterministic with a fake child.
import { EventEmitter } from 'node:events'
import type { ChildProcess } from 'node:child_process'
import { afterEach, describe, expect, it } from 'vitest'
import { nodeLauncher, setChildLauncher } from '../../../src-main/core/child-launch'
import { oneShotChild } from '../../../src-main/core/one-shot-child'

afterEach(() => setChildLauncher(nodeLauncher))

/** A child whose pipe is already broken: send fails with EPIPE now, the exit (SIGSEGV) is reported 50 ms later. */
function dyingChild(): ChildProcess {
  const child = new EventEmitter() as EventEmitter & Record<string, unknown>
  const epipe = Object.assign(new Error('write EPIPE'), { code: 'EPIPE' })
  child['stderr'] = new EventEmitter()
  child['pid'] = 12345
  child['kill'] = () => true
  child['send'] = (_msg: unknown, cb?: (e: Error | null) => void) => {
    // Node passes a failed send to the callback when there is one, else emits 'error'
    setImmediate(() => (cb ? cb(epipe) : child.emit('error', epipe)))
    setTimeout(() => child.emit('exit', null, 'SIGSEGV'), 50)
    return false
  }
  return child as unknown as ChildProcess
}

const run = (): Promise<unknown> =>
  oneShotChild<{ ok: boolean }, string>({
    script: 'x.js', execArgv: [], heapMiB: 64, timeoutMs: 10_000, request: { file: 'm.onnx' },
    onReply: () => 'ok',
    timeoutError: () => new Error('timeout'),
    exitError: (how) => new Error(`m.onnx: the check stopped (${how})`),
    startError: (e) => new Error(`m.onnx: cannot start the check: ${e.message}`)
  })

describe('one-shot child', () => {
  it('reports how a child that died at once stopped, though the request could not be sent', async () => {
    setChildLauncher(() => dyingChild())
    await expect(run()).rejects.toThrow('m.onnx: the check stopped (SIGSEGV)')
  })
})
