// The shared "open only regular files, check first, read with a cap" rule: FIFOs, folders and devices are refused
// at once (a FIFO with no writer must not block), caps hold even where stat reports size 0 (/proc).
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { assertRegularFile, openRegularFile, readRegularFile, readRegularFileSync, SafeOpenError } from '../../../src-main/core/safe-open'
import { tempDir } from '../../helpers/tmp'

/** Fails the test instead of hanging when a promise does not settle in time. */
async function within<T>(ms: number, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`did not settle within ${ms} ms`)), ms)
  })
  try {
    return await Promise.race([p, timeout])
  } finally {
    clearTimeout(timer)
  }
}

describe('safe-open', () => {
  const dir = tempDir('safe-open-')
  const fifo = join(dir, 'pipe.csv')
  execFileSync('mkfifo', [fifo])

  it('refuses a FIFO without blocking (async and sync)', async () => {
    await expect(within(2000, readRegularFile(fifo, { maxBytes: 1024, what: 'labels CSV' }))).rejects.toThrow(/pipe\.csv: labels CSV must be a regular file, this is a named pipe \(FIFO\)/)
    await expect(within(2000, openRegularFile(fifo))).rejects.toBeInstanceOf(SafeOpenError)
    expect(() => readRegularFileSync(fifo, { maxBytes: 1024 })).toThrow(/named pipe/)
    await expect(assertRegularFile(fifo)).rejects.toThrow(/named pipe/)
  })

  it('refuses folders, devices and missing files with a description, not content', async () => {
    const sub = join(dir, 'folder')
    mkdirSync(sub)
    await expect(readRegularFile(sub, { maxBytes: 10 })).rejects.toMatchObject({ problem: 'not_regular', message: expect.stringMatching(/this is a folder/) })
    if (existsSync('/dev/zero')) await expect(readRegularFile('/dev/zero', { maxBytes: 10 })).rejects.toThrow(/character device/)
    await expect(readRegularFile(join(dir, 'nope'), { maxBytes: 10 })).rejects.toMatchObject({ problem: 'not_found' })
  })

  it('caps the size before and while reading', async () => {
    const big = join(dir, 'big.bin')
    writeFileSync(big, Buffer.alloc(5000, 7))
    await expect(readRegularFile(big, { maxBytes: 4999 })).rejects.toMatchObject({ problem: 'too_large' })
    expect((await readRegularFile(big, { maxBytes: 5000 })).length).toBe(5000)
    expect(readRegularFileSync(big, { maxBytes: 5000 }).length).toBe(5000)
    expect(() => readRegularFileSync(big, { maxBytes: 10 })).toThrow(/larger than the 10-byte limit/)
    // /proc files are "regular" with st_size 0: only the running count can stop them
    if (existsSync('/proc/self/status')) {
      await expect(readRegularFile('/proc/self/status', { maxBytes: 16 })).rejects.toMatchObject({ problem: 'too_large' })
      expect(() => readRegularFileSync('/proc/self/status', { maxBytes: 16 })).toThrow(/limit/)
    }
  })
})
