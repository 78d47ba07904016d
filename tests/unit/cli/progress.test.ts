// The CLI's non-terminal progress log: throttled to a line per second, but every phase of a job gets a line.
import { describe, expect, it } from 'vitest'
import { Progress, phaseOf } from '../../../src-main/cli/progress'

function sink(): { stream: NodeJS.WriteStream; lines: string[] } {
  const lines: string[] = []
  const stream = { isTTY: false, write: (s: string) => { lines.push(s); return true } } as unknown as NodeJS.WriteStream
  return { stream, lines }
}

describe('Progress (non-TTY)', () => {
  it('prints the first line of each phase even within the one-second throttle, and throttles within a phase', () => {
    const { stream, lines } = sink()
    const p = new Progress(stream)
    const msgs = ['warm-up step 1/4 loss 1.0', 'warm-up step 2/4 loss 0.9', 'main step 1/4 loss 0.8 lr 1e-3 ETA 1s',
      'main step 2/4 loss 0.7 lr 1e-3 ETA 0s', 'control step 1/4 loss 0.8 lr 1e-3 ETA 0s']
    msgs.forEach((m, i) => p.bar('job 1 train.mcm', (i + 1) / 10, m, phaseOf(m)))
    expect(lines).toHaveLength(3)
    expect(lines[0]).toContain('warm-up step 1/4')
    expect(lines[1]).toContain('main step 1/4')
    expect(lines[2]).toContain('control step 1/4')
  })

  it('names a phase by the text before the first digit', () => {
    expect(phaseOf('main step 3/28 loss 0.5')).toBe('main step')
    expect(phaseOf('loading')).toBe('loading')
    expect(phaseOf('')).toBeUndefined()
    expect(phaseOf(null)).toBeUndefined()
  })
})
