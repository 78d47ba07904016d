// Every CLI command exits once its work is done: JPEG 2000 tiles decode in worker threads, which must not keep the
// process alive after the result is printed (issue 17 item 8), nor let it exit while a decode is still pending.
import { beforeAll, describe, expect, it } from 'vitest'
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { writeTestSlide } from '../../../src-main/slides/synth/write-test-slide'
import { tempDir } from '../../helpers/tmp'

const TIMEOUT_MS = 45_000 // tsx start-up is a few seconds on a busy 2-core machine; a hang is forever

function tessera(...args: string[]): { code: number | null; signal: string | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['bin/tessera.mjs', ...args], { encoding: 'utf8', timeout: TIMEOUT_MS })
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr }
}

describe('CLI exits after reading a JPEG 2000 slide', () => {
  const dir = tempDir('cli-exit-')
  const slide = join(dir, 'j2k.svs')
  beforeAll(async () => {
    await writeTestSlide({ path: slide, format: 'svs-j2k-ycc', width: 600, height: 500, seed: 3, tileSize: 256 })
  })

  it('slide region writes the PNG, prints its JSON and exits 0', () => {
    const out = join(dir, 'r.png')
    const r = tessera('slide', 'region', slide, '--x', '0', '--y', '0', '--width', '300', '--height', '300', '--out', out, '--json')
    expect(r.signal, `killed after ${TIMEOUT_MS} ms: the process did not exit`).toBeNull()
    expect(r.code, r.stderr).toBe(0)
    expect(JSON.parse(r.stdout)).toMatchObject({ width: 300, height: 300 })
    expect(existsSync(out)).toBe(true)
  })

  it('slide tile (decoded and re-encoded) exits 0', () => {
    const out = join(dir, 't.jpg')
    const r = tessera('slide', 'tile', slide, '--level', '9', '--col', '0', '--row', '0', '--no-pass-through', '--out', out, '--json')
    expect(r.signal, `killed after ${TIMEOUT_MS} ms: the process did not exit`).toBeNull()
    expect(r.code, r.stderr).toBe(0)
    expect(existsSync(out)).toBe(true)
  })
})
