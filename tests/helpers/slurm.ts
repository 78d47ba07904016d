// A throwaway single-node SLURM cluster for tests: munged, slurmctld and slurmd in the foreground as children of the
// test, every file (key, socket, state, spool, logs, pid files) in a temp folder, loopback only, ports picked free.
// Stopped by the children's PIDs, never by name. Returns a reason instead when SLURM cannot run here (not installed,
// not root), so the caller can skip with it printed.
import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { cpus, hostname, tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'

const run = promisify(execFile)
const BINS = ['/usr/sbin/munged', '/usr/sbin/slurmctld', '/usr/sbin/slurmd', '/usr/bin/sbatch', '/usr/bin/sinfo', '/usr/bin/scancel', '/usr/bin/squeue']

export interface SlurmCluster {
  dir: string
  /** environment for sbatch/squeue/scancel (SLURM_CONF) */
  env: NodeJS.ProcessEnv
  cmd(bin: string, args: string[]): Promise<string>
  stop(): Promise<void>
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port
      s.close(() => resolve(port))
    })
  })
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

function log(file: string): string {
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').slice(-15).join('\n') : '(no log)'
}

/** Why SLURM cannot be started here, or null. */
export function slurmUnavailable(): string | null {
  const missing = BINS.filter((b) => !existsSync(b))
  if (missing.length) return `SLURM/munge not installed (${missing.join(', ')} missing; scripts/setup-debian.sh installs slurm-wlm and munge)`
  if (process.getuid?.() !== 0) return 'slurmd must run as root to start jobs, and the tests are not running as root'
  return null
}

/** Start the cluster in a fresh folder under the system temp folder (removed again by stop()). */
export async function startSlurm(): Promise<SlurmCluster> {
  const host = hostname().split('.')[0] as string
  // munged wants the whole path to its socket searchable by all (it serves every local user), which the tests' own
  // 0700 temp folders are not: use a folder directly under the system temp folder
  const dir = mkdtempSync(join(tmpdir(), 'tessera-slurm-'))
  chmodSync(dir, 0o755)
  for (const d of ['munge', 'state', 'spool', 'logs']) mkdirSync(join(dir, d), { recursive: true, mode: 0o755 })
  const key = join(dir, 'munge', 'munge.key')
  writeFileSync(key, randomBytes(1024), { mode: 0o400 })
  chmodSync(key, 0o400)
  const socket = join(dir, 'munge', 'munge.socket')
  const [ctldPort, dPort] = [await freePort(), await freePort()]
  const conf = join(dir, 'slurm.conf')
  writeFileSync(
    conf,
    [
      'ClusterName=tesseratest',
      `SlurmctldHost=${host}(127.0.0.1)`,
      'SlurmUser=root',
      'SlurmdUser=root',
      'AuthType=auth/munge',
      `AuthInfo=socket=${socket}`,
      'CredType=cred/munge',
      `StateSaveLocation=${join(dir, 'state')}`,
      `SlurmdSpoolDir=${join(dir, 'spool')}`,
      `SlurmctldPidFile=${join(dir, 'slurmctld.pid')}`,
      `SlurmdPidFile=${join(dir, 'slurmd.pid')}`,
      `SlurmctldLogFile=${join(dir, 'logs', 'slurmctld.log')}`,
      `SlurmdLogFile=${join(dir, 'logs', 'slurmd.log')}`,
      `SlurmctldPort=${ctldPort}`,
      `SlurmdPort=${dPort}`,
      'ProctrackType=proctrack/linuxproc',
      'TaskPlugin=task/none',
      'JobAcctGatherType=jobacct_gather/none',
      'AccountingStorageType=accounting_storage/none',
      'SchedulerType=sched/builtin',
      'SelectType=select/cons_tres',
      'SelectTypeParameters=CR_CPU',
      'ReturnToService=2',
      'MpiDefault=none',
      'MailProg=/bin/true',
      'KillWait=5',
      'SlurmdTimeout=30',
      `NodeName=${host} NodeAddr=127.0.0.1 CPUs=${cpus().length} RealMemory=4000 State=UNKNOWN`,
      `PartitionName=debug Nodes=${host} Default=YES MaxTime=INFINITE State=UP`,
      ''
    ].join('\n')
  )
  const env = { ...process.env, SLURM_CONF: conf }
  const children: ChildProcess[] = []
  let stderr = ''
  const start = (bin: string, args: string[]): ChildProcess => {
    const c = spawn(bin, args, { env, stdio: ['ignore', 'ignore', 'pipe'] })
    c.stderr?.on('data', (b: Buffer) => {
      if (stderr.length < 8000) stderr += b.toString()
    })
    c.on('error', (e) => (stderr += `${bin}: ${e.message}\n`))
    children.push(c)
    return c
  }
  const stop = async (): Promise<void> => {
    // reverse order: slurmd, slurmctld, munged; SIGTERM by PID, SIGKILL by PID if one lingers
    for (const c of [...children].reverse()) {
      if (c.exitCode !== null || c.signalCode !== null || !c.pid) continue
      const exited = new Promise<void>((r) => c.once('exit', () => r()))
      process.kill(c.pid, 'SIGTERM')
      if (await Promise.race([exited.then(() => true), sleep(5000).then(() => false)])) continue
      process.kill(c.pid, 'SIGKILL')
      await exited
    }
    rmSync(dir, { recursive: true, force: true })
  }
  const cmd = async (bin: string, args: string[]): Promise<string> => (await run(bin, args, { env, timeout: 20_000 })).stdout
  try {
    start('/usr/sbin/munged', ['-F', `--socket=${socket}`, `--key-file=${key}`, `--pid-file=${join(dir, 'munge', 'munged.pid')}`, `--log-file=${join(dir, 'logs', 'munged.log')}`, `--seed-file=${join(dir, 'munge', 'seed')}`])
    for (let i = 0; ; i++) {
      if (existsSync(socket)) break
      if (i > 50) throw new Error(`munged did not start: ${stderr}${log(join(dir, 'logs', 'munged.log'))}`)
      await sleep(100)
    }
    start('/usr/sbin/slurmctld', ['-D', '-i', '-f', conf])
    start('/usr/sbin/slurmd', ['-D', '-f', conf, '-N', host])
    for (let i = 0; ; i++) {
      const state = await cmd('/usr/bin/sinfo', ['-h', '-N', '-o', '%T']).catch(() => '')
      if (/^idle/m.test(state)) break
      if (i > 60) throw new Error(`node not idle after 30 s (sinfo: ${state.trim() || 'no answer'})\n${stderr}\nslurmctld: ${log(join(dir, 'logs', 'slurmctld.log'))}\nslurmd: ${log(join(dir, 'logs', 'slurmd.log'))}`)
      await sleep(500)
    }
  } catch (e) {
    await stop()
    throw e
  }
  return { dir, env, cmd, stop }
}
