// Progress bars on stderr for job events: redraws in place on a terminal, one line per second otherwise (plus a line
// whenever a job's message enters a new phase, e.g. "main step" after "warm-up step", so a log shows every phase).
import type { CoreEvent } from '../../src-shared/contracts/events'

export class Progress {
  private lastLine = 0
  private drawn = false
  private lastPhase: string | undefined = undefined

  constructor(
    private readonly stream: NodeJS.WriteStream = process.stderr,
    private readonly enabled = true
  ) {}

  /** Draw a bar for `label` at fraction f (0..1). */
  bar(label: string, fraction: number, detail = '', phase?: string): void {
    if (!this.enabled) return
    const now = Date.now()
    const tty = this.stream.isTTY === true
    const newPhase = phase !== undefined && phase !== this.lastPhase
    if (!tty && fraction < 1 && !newPhase && now - this.lastLine < 1000) return
    this.lastLine = now
    if (phase !== undefined) this.lastPhase = phase
    const width = 24
    const filled = Math.round(Math.max(0, Math.min(1, fraction)) * width)
    const line = `${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(fraction * 100).toFixed(0).padStart(3)}% ${detail}`
    if (tty) {
      this.stream.write(`\r\x1b[2K${line}`)
      this.drawn = true
      if (fraction >= 1) this.end()
    } else {
      this.stream.write(`${line}\n`)
    }
  }

  /** Finish an in-place bar so the next output starts on a new line. */
  end(): void {
    if (this.drawn) this.stream.write('\n')
    this.drawn = false
  }

  onEvent(event: CoreEvent): void {
    if (event.type === 'job.progress') {
      const parts: string[] = []
      if (event.rate !== null && event.unit && event.unit !== 'fraction') parts.push(`${event.rate.toFixed(1)} ${event.unit}/s`)
      if (event.etaSeconds !== null && Number.isFinite(event.etaSeconds)) parts.push(`ETA ${formatSeconds(event.etaSeconds)}`)
      if (event.message) parts.push(event.message)
      this.bar(`job ${event.jobId} ${event.kind}`, event.fraction, parts.join('  '), phaseOf(event.message))
    } else {
      this.end()
      this.stream.write(`job ${event.jobId} ${event.kind}: ${event.status}${event.error ? ` — ${event.error}` : ''}\n`)
    }
  }
}

/** The phase a progress message names: its text before the first digit ("main step 3/28 …" → "main step"). */
export function phaseOf(message: string | null | undefined): string | undefined {
  if (!message) return undefined
  return message.split(/\d/, 1)[0]?.trim() || undefined
}

export function formatSeconds(s: number): string {
  const t = Math.max(0, Math.round(s))
  const h = Math.floor(t / 3600)
  const m = Math.floor((t % 3600) / 60)
  const sec = t % 60
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${String(sec).padStart(2, '0')}` : `${m}:${String(sec).padStart(2, '0')}`
}
