// Install hygiene: every dependency with an install script is listed in package.json allowScripts (npm 11 warns about
// unlisted ones, npm 12 blocks them), .npmrc holds only npm's own settings (an unknown key warns, and stops working in
// npm 12), and onnxruntime-node's CUDA download is skipped by the environment variable its script really reads.
import { describe, expect, it } from 'vitest'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'

const root = join(__dirname, '..', '..', '..')
const read = (f: string): string => readFileSync(join(root, f), 'utf8')

describe('npm install hygiene', () => {
  it('lists every install script of the lockfile in allowScripts', () => {
    const lock = JSON.parse(read('package-lock.json')) as { packages: Record<string, { hasInstallScript?: boolean }> }
    const withScripts = Object.entries(lock.packages)
      .filter(([, p]) => p.hasInstallScript)
      .map(([k]) => k.slice(k.lastIndexOf('node_modules/') + 'node_modules/'.length))
    const allow = (JSON.parse(read('package.json')) as { allowScripts?: Record<string, boolean> }).allowScripts ?? {}
    expect(withScripts.length).toBeGreaterThan(0)
    expect(withScripts.filter((name) => typeof allow[name] !== 'boolean')).toEqual([])
  })

  it('keeps .npmrc to settings npm knows', () => {
    const keys = read('.npmrc')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#') && !l.startsWith(';'))
      .map((l) => l.split('=')[0]?.trim())
    expect(keys.filter((k) => !['fund', 'audit', 'engine-strict', 'update-notifier', 'loglevel', 'progress'].includes(k as string))).toEqual([])
  })

  it('skips the onnxruntime-node CUDA download in the set-up script with the variable its install script reads', () => {
    expect(read('scripts/setup-debian.sh')).toMatch(/^export ONNXRUNTIME_NODE_INSTALL=skip$/m)
    const pkg = dirname(createRequire(join(root, 'package.json')).resolve('onnxruntime-node/package.json'))
    expect(readFileSync(join(pkg, 'script', 'install-utils.js'), 'utf8')).toContain('process.env.ONNXRUNTIME_NODE_INSTALL')
  })
})
