// Starts the core's Node child processes (job runner, OpenSlide host, HDF5 reader, backend probe) through one
// replaceable launcher. Under plain Node it is child_process.fork. The Electron shell installs a launcher built on
// utilityProcess, so the app never needs ELECTRON_RUN_AS_NODE and the RunAsNode fuse can be turned off when
// packaging (with the fuse off, fork() of the Electron binary would start a second app, not Node).
import { fork, type ChildProcess } from 'node:child_process'

export interface LaunchOptions {
  execArgv: string[]
  env?: NodeJS.ProcessEnv
  stdout: 'inherit' | 'ignore'
  stderr: 'inherit' | 'ignore' | 'pipe'
}

/**
 * A launcher returns something that behaves like the ChildProcess subset the core uses: pid, send, kill,
 * on/once('message' | 'exit' | 'error'), stderr (when piped), ref/unref, channel (may be absent).
 */
export type ChildLauncher = (file: string, options: LaunchOptions) => ChildProcess

/** Plain Node: fork with an IPC channel and structured-clone ('advanced') serialization. */
export const nodeLauncher: ChildLauncher = (file, o) =>
  fork(file, [], { execArgv: o.execArgv, env: o.env, stdio: ['ignore', o.stdout, o.stderr, 'ipc'], serialization: 'advanced' })

let launcher: ChildLauncher = nodeLauncher

/** The Electron shell calls this once, before the core starts any child. */
export function setChildLauncher(l: ChildLauncher): void {
  launcher = l
}

export function launchChild(file: string, options: LaunchOptions): ChildProcess {
  return launcher(file, options)
}
