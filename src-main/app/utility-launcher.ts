// Electron's launcher for the core's child processes (core/child-launch.ts): utilityProcess.fork, wrapped into the
// ChildProcess subset the core uses. No ELECTRON_RUN_AS_NODE anywhere, so the RunAsNode fuse can be off.
// Quirks (read from the Electron docs, not run here: the binary cannot start in this environment):
// - kill() ignores the signal name: utilityProcess.kill() sends SIGTERM, which ends a Node child stuck in native
//   code as well (no SIGTERM handler is installed in any child);
// - ref()/unref() do nothing: the app's main process outlives its children anyway;
// - messages use structured clone, as fork's 'advanced' serialization does; the child side is core/child-ipc.ts.
import { utilityProcess } from 'electron'
import { EventEmitter } from 'node:events'
import { basename } from 'node:path'
import type { ChildProcess } from 'node:child_process'
import type { ChildLauncher } from '../core/child-launch'

export const utilityLauncher: ChildLauncher = (file, o) => {
  const child = utilityProcess.fork(file, [], {
    execArgv: o.execArgv,
    ...(o.env ? { env: o.env } : {}),
    stdio: ['ignore', o.stdout, o.stderr],
    serviceName: `Tessera ${basename(file)}`
  })
  const events = new EventEmitter()
  let exited = false
  child.on('message', (m: unknown) => events.emit('message', m))
  child.on('exit', (code: number) => {
    exited = true
    events.emit('exit', code, null)
  })
  child.on('error', (type: string, location: string) => events.emit('error', new Error(`utility process ${basename(file)}: ${type} at ${location}`)))
  const adapter = Object.assign(events, {
    stderr: child.stderr,
    stdout: child.stdout,
    channel: undefined,
    connected: true,
    send(m: unknown): boolean {
      if (exited) return false
      child.postMessage(m)
      return true
    },
    kill(): boolean {
      return child.kill()
    },
    ref(): void {},
    unref(): void {}
  })
  Object.defineProperty(adapter, 'pid', { get: () => child.pid })
  return adapter as unknown as ChildProcess
}
