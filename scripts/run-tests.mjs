// Runs the whole test suite (vitest: unit, integration, e2e) and ends with the line `N passed, N failed`.
// Exits non-zero on any failure or when no test ran.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs'

mkdirSync('test-results', { recursive: true })
const report = 'test-results/vitest.json'
rmSync(report, { force: true })
const extra = process.argv.slice(2)
const run = spawnSync(
  process.execPath,
  ['node_modules/vitest/vitest.mjs', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...extra],
  { stdio: 'inherit' }
)
if (!existsSync(report)) {
  console.log('0 passed, 1 failed')
  console.error('vitest wrote no report (crashed before finishing)')
  process.exit(1)
}
const r = JSON.parse(readFileSync(report, 'utf8'))
// a suite that fails to load counts as a failure even when none of its tests ran
const failed = r.numFailedTests + (r.numFailedTests === 0 ? (r.numFailedTestSuites ?? 0) : 0)
const skipped = (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0)
console.log(`${r.numPassedTests} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`)
if (failed > 0 || run.status !== 0 || r.numPassedTests === 0) process.exit(1)
