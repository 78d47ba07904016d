// Without libopenslide (OPENSLIDE_LIB=off in a fresh CLI process): npm formats still open, OpenSlide-only
// formats fail with a clear "install OpenSlide" message and a non-zero exit.
import { execFile } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { writeTestSlide } from '../../../src-main/slides/synth/write-test-slide'
import { tempDir } from '../../helpers/tmp'

const run = promisify(execFile)
const env = { ...process.env, OPENSLIDE_LIB: 'off' }

describe('slides without OpenSlide', () => {
  const dir = tempDir('no-openslide-')

  it('reads npm formats and names the missing library for the others', async () => {
    const svs = await writeTestSlide({ path: join(dir, 'a.svs'), format: 'svs', width: 800, height: 600, seed: 1 })
    const ok = await run('node', ['bin/tessera.mjs', 'slide', 'info', svs.path, '--json'], { env })
    expect(JSON.parse(ok.stdout)).toMatchObject({ vendor: 'aperio', reader: 'tiff' })
    writeFileSync(join(dir, 'b.mrxs'), 'MIRAX index placeholder')
    const failed = await run('node', ['bin/tessera.mjs', 'slide', 'info', join(dir, 'b.mrxs'), '--json'], { env }).then(
      () => null,
      (e: { code: number; stderr: string }) => e
    )
    expect(failed?.code).not.toBe(0)
    expect(failed?.stderr).toMatch(/install OpenSlide \(Debian\/Ubuntu: apt-get install libopenslide0/)
  })
})
