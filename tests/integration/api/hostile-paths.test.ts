// Path-taking methods describe unknown files, never quote them (labels.import, slide.info, slide.add), and a
// FIFO handed to labels.import is refused at once while the HTTP door keeps answering.
import { execFileSync, spawn } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createCore, type Core } from '../../../src-main/core/core'
import { startHttpDoor, type HttpDoor } from '../../../src-main/server/http-server'
import { tempDir } from '../../helpers/tmp'

let core: Core
let door: HttpDoor
let projectId: number
const dir = tempDir('hostile-')
// a secret-looking file: its content must never come back in an error
const SECRET = 'root:x:0:0:SECRET-7f3a9c:/root:/bin/bash'
const secretFile = join(dir, 'passwd')

const messageOf = async (p: Promise<unknown>): Promise<string> => {
  try {
    await p
    return 'ok'
  } catch (e) {
    return e instanceof Error ? e.message : String(e)
  }
}

beforeAll(async () => {
  writeFileSync(secretFile, `${SECRET}\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n`)
  core = createCore({ dbPath: join(dir, 't.db'), door: 'http' })
  projectId = core.projects.create('p').id
  door = await startHttpDoor(core)
})
afterAll(async () => {
  await door.close()
  core.close()
})

describe('errors describe, never quote, unknown content', () => {
  it('labels.import of a non-CSV file names the file and counts its columns', async () => {
    const msg = await messageOf(core.dispatch('labels.import', { projectId, csvPath: secretFile }))
    expect(msg).toMatch(/passwd row 1: the header needs a slide column .*found 1 column/)
    expect(msg).not.toContain('SECRET-7f3a9c')
    expect(msg).not.toContain('root:x')
  })

  it('labels.import of /proc/self/environ does not return the environment', async () => {
    const msg = await messageOf(core.dispatch('labels.import', { projectId, csvPath: '/proc/self/environ' }))
    expect(msg).toMatch(/environ: not a text CSV/)
    // /proc/self/environ holds the environment the process started with: no NAME= of it may come back
    for (const name of Object.keys(process.env)) expect(msg).not.toContain(`${name}=`)
  })

  it('slide.info and slide.add describe a non-slide file without its bytes', async () => {
    const hex = Buffer.from(SECRET.slice(0, 8)).toString('hex')
    const info = await messageOf(core.dispatch('slide.info', { path: secretFile }))
    expect(info).toMatch(/unrecognised file format/)
    expect(info).not.toContain(hex)
    const folder = join(dir, 'folder')
    mkdirSync(folder)
    writeFileSync(join(folder, 'key.pem'), SECRET)
    const added = JSON.stringify(await core.dispatch('slide.add', { projectId, paths: [folder] }))
    expect(added).toContain('key.pem')
    expect(added).not.toContain(hex)
    expect(added).not.toContain('SECRET')
  })
  it('model.import of a folder and cluster.status describe damaged files without quoting them', async () => {
    const bundle = join(dir, 'bundle')
    mkdirSync(bundle)
    writeFileSync(join(bundle, 'SHA256SUMS'), `${SECRET}\n`)
    writeFileSync(join(bundle, 'manifest.json'), SECRET)
    const m = await messageOf(core.dispatch('model.import', { file: bundle, name: 'b' }))
    expect(m).toMatch(/SHA256SUMS: line 1 is not "<sha256> {2}<file name>"/)
    expect(m).not.toContain('SECRET')
    const work = join(dir, 'work')
    mkdirSync(work)
    for (const n of ['work.json', 'manifest.json', 'plan.json']) writeFileSync(join(work, n), SECRET)
    for (const method of ['cluster.status', 'cluster.import']) {
      const c = await messageOf(core.dispatch(method, { dir: work }))
      expect(c).toMatch(/not readable JSON \(not valid JSON/)
      expect(c).not.toContain('SECRET')
    }
  })
})

describe('labels.import reads only regular files, capped, off the event loop', () => {
  it('refuses a FIFO at once and the door keeps answering', async () => {
    const fifo = join(dir, 'labels.csv')
    execFileSync('mkfifo', [fifo])
    // safety valve: if a regression blocks on the FIFO (this process included), a writer unblocks it after 4 s
    // so the test fails on time instead of hanging the run
    const valve = spawn('sh', ['-c', `sleep 4; echo slide,label > '${fifo}'`], { stdio: 'ignore' })
    const started = Date.now()
    const headers = { 'content-type': 'application/json', 'x-tessera-token': door.token, origin: door.url, 'x-tessera-request': '1' }
    const call = (method: string, body: unknown): Promise<Response> =>
      fetch(`${door.url}/api/call/${method}`, { method: 'POST', headers, body: JSON.stringify(body), signal: AbortSignal.timeout(5000) })
    const res = await call('labels.import', { projectId, csvPath: fifo })
    const elapsed = Date.now() - started
    valve.kill()
    expect(elapsed).toBeLessThan(3000)
    expect(res.status).toBe(400)
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/labels\.csv: labels CSV must be a regular file, this is a named pipe/)
    expect((await call('project.list', {})).status).toBe(200)
  })

  it('refuses a folder and a file over the cap with their description', async () => {
    await expect(messageOf(core.dispatch('labels.import', { projectId, csvPath: dir }))).resolves.toMatch(/must be a regular file, this is a folder/)
    const big = join(dir, 'big.csv')
    writeFileSync(big, Buffer.alloc(16 * 1024 * 1024 + 1, 0x41))
    await expect(messageOf(core.dispatch('labels.import', { projectId, csvPath: big }))).resolves.toMatch(/big\.csv: labels CSV is larger than the 16777216-byte limit/)
  })
})
