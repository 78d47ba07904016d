// Kills the training process at random steps (and once inside a checkpoint write); every resume continues from the
// last checkpoint and the run ends with the same weights, bit for bit, as an uninterrupted run. No staging dir survives.
import { spawn } from 'node:child_process'
import { existsSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { tempDir } from '../../helpers/tmp'

const CHILD = join(import.meta.dirname, 'helpers', 'train-child.ts')

interface ChildRun {
  lines: string[]
  killed: boolean
  code: number | null
}

/** Run the child; kill it (SIGKILL) as soon as `killWhen` returns true for an output line. */
function runChild(runDir: string, killWhen: ((line: string) => boolean) | null, env: Record<string, string> = {}): Promise<ChildRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, runDir], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
    const lines: string[] = []
    let killed = false
    let buf = ''
    let err = ''
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString()
      let i
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i)
        buf = buf.slice(i + 1)
        lines.push(line)
        if (!killed && killWhen?.(line)) {
          killed = true
          child.kill('SIGKILL')
        }
      }
    })
    child.stderr.on('data', (d: Buffer) => (err += d.toString()))
    child.on('error', reject)
    child.on('exit', (code) => {
      if (!killed && code !== 0) reject(new Error(`child failed (${code}): ${err.slice(-2000)}`))
      else resolve({ lines, killed, code })
    })
  })
}

const stagingLeft = (runDir: string): string[] => {
  const dir = join(runDir, 'checkpoints', 'main')
  return existsSync(dir) ? readdirSync(dir).filter((n) => n.startsWith('.staging-')) : []
}

describe('kill -9 and resume', () => {
  it('three kills (one during a checkpoint write) end with the same final weights as an uninterrupted run', async () => {
    const reference = await runChild(tempDir('mcm-ref-'), null)
    const done = reference.lines.find((l) => l.startsWith('DONE')) as string
    const [, totalText, refWeights, refTensors] = done.split(' ')
    const total = Number(totalText)
    expect(total).toBeGreaterThanOrEqual(12)

    const runDir = tempDir('mcm-kill-')
    const pick = (lo: number, hi: number): number => lo + Math.floor(Math.random() * (hi - lo + 1))
    // first kill after the first checkpoint (every 4 steps), so every later start resumes from one
    const k1 = pick(5, Math.max(5, Math.floor(total / 3)))
    const k3 = pick(Math.floor(total / 2) + 1, total - 2)
    const r1 = await runChild(runDir, (l) => l === `STEP ${k1}`)
    expect(r1.killed).toBe(true)
    // second kill: inside the next checkpoint write, after the weights are staged and before the manifest/rename
    const r2 = await runChild(runDir, (l) => l === 'STAGING', { MCM_PAUSE_IN_CHECKPOINT: '1' })
    expect(r2.killed).toBe(true)
    expect(stagingLeft(runDir).length).toBe(1)
    const r3 = await runChild(runDir, (l) => l === `STEP ${k3}`)
    expect(r3.killed).toBe(true)
    // the resumed runs restarted from a checkpoint, not from scratch
    expect(r3.lines.some((l) => /NOTICE main: resumed at step \d+/.test(l))).toBe(true)
    const last = await runChild(runDir, null)
    const [, , weights, tensors] = (last.lines.find((l) => l.startsWith('DONE')) as string).split(' ')
    console.log(`kill/resume: ${total} steps, killed at step ${k1}, in a checkpoint write, at step ${k3}; final weights ${weights === refWeights ? 'identical' : 'DIFFERENT'}`)
    expect(weights).toBe(refWeights)
    expect(tensors).toBe(refTensors)
    expect(stagingLeft(runDir)).toEqual([])
  })
})
