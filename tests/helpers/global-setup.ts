// Runs once before all tests: a scratch folder for this run, and a fresh renderer build for the e2e tests.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export default function setup(): () => void {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-tests-'))
  process.env['TESSERA_TEST_TMP'] = dir
  if (process.env['TESSERA_SKIP_BUILD'] !== '1') {
    // e2e tests drive the built renderer (the exact bundle Electron would load)
    execFileSync(process.execPath, ['node_modules/electron-vite/bin/electron-vite.js', 'build'], { stdio: 'ignore' })
  }
  return () => rmSync(dir, { recursive: true, force: true })
}
