// A small tmpfs made by a test, to fill a disk on purpose (disk-full tests). Needs root and mount permission:
// where mounting is not permitted, `reason` says why and the test skips with it.
import { execFileSync } from 'node:child_process'
import { appendFileSync, mkdirSync, rmSync, statfsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { tempDir } from './tmp'

export interface SmallFs {
  dir: string | null
  reason: string
  /** fill the file system until at most `leaveBytes` remain (one filler file; remove it to free the space) */
  fill(leaveBytes: number): string
  unmount(): void
}

export function mountSmallFs(sizeBytes: number): SmallFs {
  const dir = join(tempDir('smallfs-'), 'mnt')
  mkdirSync(dir)
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeBytes}`, 'tmpfs', dir], { stdio: 'pipe' })
  } catch (e) {
    const why = String((e as { stderr?: Buffer }).stderr ?? (e as Error).message).trim()
    return { dir: null, reason: `cannot mount a tmpfs here (${why || 'mount failed'})`, fill: () => '', unmount: () => {} }
  }
  return {
    dir,
    reason: '',
    fill(leaveBytes: number): string {
      const filler = join(dir, 'filler.bin')
      // tmpfs counts whole pages: write in page-sized steps until the remainder is below leaveBytes
      const chunk = Buffer.alloc(4096, 1)
      writeFileSync(filler, '')
      for (;;) {
        const s = statfsSync(dir)
        if (Number(s.bavail) * Number(s.bsize) <= leaveBytes) break
        try {
          appendFileSync(filler, chunk)
        } catch {
          break
        }
      }
      return filler
    },
    unmount(): void {
      try {
        execFileSync('umount', [dir], { stdio: 'pipe' })
        rmSync(dir, { recursive: true, force: true })
      } catch {
        // left mounted under the run's temp folder; harmless
      }
    }
  }
}
