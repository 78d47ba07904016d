// Runs once before all tests: a scratch folder for this run under the OS temp dir.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export default function setup(): () => void {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-tests-'))
  process.env['TESSERA_TEST_TMP'] = dir
  return () => rmSync(dir, { recursive: true, force: true })
}
