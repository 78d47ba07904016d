// Per-test scratch directories under the run's temp folder.
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export function tempDir(prefix = 'case-'): string {
  return mkdtempSync(join(process.env['TESSERA_TEST_TMP'] ?? tmpdir(), prefix))
}
