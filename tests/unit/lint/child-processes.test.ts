// Child processes start through one replaceable launcher (core/child-launch.ts), never as Electron with
// ELECTRON_RUN_AS_NODE, so the RunAsNode fuse can be off in a packaged app; a child started as an Electron utility
// process talks through parentPort, bridged by core/child-ipc.ts.
import { execFileSync } from 'node:child_process'
import { mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { launchChild, nodeLauncher, setChildLauncher } from '../../../src-main/core/child-launch'
import { tsxImportArgs } from '../../../src-main/core/entry-point'
import { tridentPath, writeTridentFile } from '../../../src-main/interop/hdf5'
import { readFeatureFile } from '../../../src-main/interop/hdf5-isolated'
import { tempDir } from '../../helpers/tmp'

const root = join(__dirname, '..', '..', '..')

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n)
    return statSync(p).isDirectory() ? sources(p) : /\.(ts|mjs|js)$/.test(n) ? [p] : []
  })
}

/** Source without comments (the rule is about code; comments may name the variable to explain its absence). */
const code = (f: string): string => readFileSync(f, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:])\/\/.*$/gm, '$1')

afterEach(() => setChildLauncher(nodeLauncher))

describe('child processes', () => {
  it('no source sets ELECTRON_RUN_AS_NODE or forks outside the launcher', () => {
    const files = ['src-main', 'src-preload', 'scripts', 'bin'].flatMap((d) => sources(join(root, d)))
    const runAsNode = files.filter((f) => code(f).includes('ELECTRON_RUN_AS_NODE'))
    expect(runAsNode.map((f) => relative(root, f))).toEqual([])
    const forks = files
      .filter((f) => f.includes(`${join('src-main')}`) && !f.endsWith(join('core', 'child-launch.ts')) && !f.includes(join('src-main', 'bench')))
      .filter((f) => /import\s*\{[^}]*\bfork\b[^}]*\}\s*from\s*'node:child_process'/.test(code(f)))
    expect(forks.map((f) => relative(root, f))).toEqual([])
  })

  it('a real child (the HDF5 reader) starts through the installed launcher', async () => {
    const started: string[] = []
    setChildLauncher((file, o) => {
      started.push(file)
      return nodeLauncher(file, o)
    })
    const dir = tempDir('launcher-')
    const attrs = { patchSize: 224, patchSizeLevel0: 448, overlap: 0, targetMagnification: 20, level0Magnification: 40, level0Width: 1000, level0Height: 1000, name: 's', encoder: 'e', mpp: 0.5, weightHash: 'ab'.repeat(32), appVersion: '0' }
    const file = tridentPath(dir, attrs)
    mkdirSync(dirname(file), { recursive: true })
    await writeTridentFile(file, Float32Array.from([1, 2, 3, 4]), 2, [0, 0, 448, 0], attrs)
    const back = await readFeatureFile(file)
    expect(Array.from(back.features)).toEqual([1, 2, 3, 4])
    expect(started.map((f) => f.split(/[\\/]/).pop())).toEqual(['hdf5-reader-process.ts'])
  })

  it("bridges a utility process's parentPort to process.send / process.on('message')", () => {
    // a stand-in parentPort (the object Electron gives a utility process), in a Node process with no IPC channel
    const script = `
      const sent = []
      let deliver
      process.parentPort = { postMessage: (m) => sent.push(m), on: (ev, l) => { if (ev === 'message') deliver = l } }
      await import(${JSON.stringify(pathToFileURL(join(root, 'src-main', 'core', 'child-ipc.ts')).href)})
      process.on('message', (m) => process.send({ echo: m }))
      deliver({ data: { hello: 1 } })
      console.log(JSON.stringify({ sent, connected: process.connected }))`
    const out = execFileSync(process.execPath, [...tsxImportArgs(), '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 30_000 })
    expect(JSON.parse(out.trim().split('\n').pop()!)).toEqual({ sent: [{ echo: { hello: 1 } }], connected: true })
  })

  it('the plain Node launcher keeps fork semantics (IPC, advanced serialization)', async () => {
    const dir = tempDir('launcher-echo-')
    const file = join(dir, 'echo.mjs')
    const { writeFileSync } = await import('node:fs')
    writeFileSync(file, "process.on('message', (m) => { process.send({ back: m }); process.exit(0) })\n")
    const child = launchChild(file, { execArgv: [], stdout: 'ignore', stderr: 'inherit' })
    const reply = await new Promise<unknown>((resolve, reject) => {
      child.on('message', resolve)
      child.on('error', reject)
      child.send({ bytes: new Uint8Array([1, 2, 3]) })
    })
    expect(reply).toEqual({ back: { bytes: new Uint8Array([1, 2, 3]) } })
  })
})
