// The HTTP door's cross-site guard and route hygiene: foreign Origin / Sec-Fetch-Site refused, cookie-only calls
// must be JSON with our header, per-start cookie name, token only on the entry URL, methods per route, malformed
// percent-encoding is a 400, static files never follow symlinks out of the renderer folder.
import { request } from 'node:http'
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createCore, type Core } from '../../../src-main/core/core'
import { startHttpDoor, type HttpDoor } from '../../../src-main/server/http-server'
import { tempDir } from '../../helpers/tmp'

let core: Core
let door: HttpDoor
let cookie: string
const dir = tempDir('door-guard-')
const outside = join(dir, 'outside-secret.txt')

interface Reply {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: string
}

/** Raw request (fetch would add or forbid headers): exactly the headers given, plus Host. */
function raw(method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(`${door.url}${path}`, { method, headers, timeout: 5000 }, (res) => {
      if (String(res.headers['content-type']).startsWith('text/event-stream')) {
        // an event stream never ends: its status is the answer
        res.destroy()
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: '' })
        return
      }
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }))
    })
    req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer within 5 s`)))
    req.on('error', reject)
    req.end(body)
  })
}

const projects = (): string[] => (core.db.prepare('SELECT name FROM projects ORDER BY id').all() as { name: string }[]).map((r) => r.name)

beforeAll(async () => {
  const renderer = join(dir, 'renderer')
  mkdirSync(join(renderer, 'assets'), { recursive: true })
  writeFileSync(join(renderer, 'index.html'), '<!doctype html><title>app</title>')
  writeFileSync(join(renderer, 'assets', 'app.js'), 'console.log(1)')
  writeFileSync(outside, 'TOP-SECRET-outside')
  symlinkSync(outside, join(renderer, 'assets', 'leak.js'))
  symlinkSync(dir, join(renderer, 'up'))
  symlinkSync(join(renderer, 'assets', 'app.js'), join(renderer, 'assets', 'alias.js'))
  core = createCore({ dbPath: join(dir, 't.db'), door: 'http' })
  door = await startHttpDoor(core, { rendererDir: renderer })
  const entry = await raw('GET', `/?token=${door.token}`)
  expect(entry.status).toBe(302)
  expect(entry.headers['location']).toBe('/')
  cookie = String(entry.headers['set-cookie']).split(';')[0]!
})
afterAll(async () => {
  await door.close()
  core.close()
})

const create = (name: string, headers: Record<string, string>): Promise<Reply> => raw('POST', '/api/call/project.create', headers, JSON.stringify({ name }))

describe('cross-site requests', () => {
  it('the cookie has a per-start name, not a fixed one shared by every server', async () => {
    const name = cookie.split('=')[0]!
    expect(name).toMatch(/^tessera_[0-9a-f]{12}$/)
    const other = await startHttpDoor(core)
    const second = await new Promise<string>((resolve, reject) => {
      request(`${other.url}/?token=${other.token}`, (res) => {
        res.resume()
        resolve(String(res.headers['set-cookie']).split('=')[0]!)
      })
        .on('error', reject)
        .end()
    })
    await other.close()
    expect(second).not.toBe(name)
  })

  it('refuses a foreign Origin, even with the cookie or the token header', async () => {
    const own = { cookie, 'content-type': 'application/json', 'x-tessera-request': '1' }
    expect((await create('evil1', { ...own, origin: 'http://evil.example' })).status).toBe(403)
    expect((await create('evil2', { ...own, origin: 'http://127.0.0.1:1' })).status).toBe(403)
    expect((await create('evil3', { 'x-tessera-token': door.token, 'content-type': 'application/json', origin: 'http://localhost:8888' })).status).toBe(403)
    expect((await create('evil4', { ...own, origin: door.url, 'sec-fetch-site': 'same-site' })).status).toBe(403)
    expect(projects()).toEqual([])
  })

  it('a cookie-only call must be JSON with our header and our Origin', async () => {
    const base = { cookie, origin: door.url }
    expect((await create('plain', { ...base, 'content-type': 'text/plain', 'x-tessera-request': '1' })).status).toBe(415)
    expect((await create('noheader', { ...base, 'content-type': 'application/json' })).status).toBe(403)
    expect((await create('noorigin', { cookie, 'content-type': 'application/json', 'x-tessera-request': '1' })).status).toBe(403)
    expect(projects()).toEqual([])
    const ok = await create('ours', { ...base, 'content-type': 'application/json', 'x-tessera-request': '1', 'sec-fetch-site': 'same-origin' })
    expect(ok.status).toBe(200)
    expect(projects()).toEqual(['ours'])
  })

  it('resources and events refuse cross-site reads too', async () => {
    expect((await raw('GET', '/api/events', { cookie, 'sec-fetch-site': 'same-site' })).status).toBe(403)
    expect((await raw('GET', '/res/slides/1/thumbnail.jpg', { cookie, 'sec-fetch-site': 'cross-site' })).status).toBe(403)
  })

  it('never grants a CORS preflight', async () => {
    const pre = await raw('OPTIONS', '/api/call/project.create', { origin: 'http://127.0.0.1:1', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' })
    expect(pre.status).toBe(405)
    expect(pre.headers['access-control-allow-origin']).toBeUndefined()
  })
})

describe('token in URLs', () => {
  it('is accepted only on the entry URL, which redirects to a clean URL', async () => {
    const onApi = await raw('POST', `/api/call/project.list?token=${door.token}`, { 'content-type': 'application/json' }, '{}')
    expect(onApi.status).toBe(400)
    expect(onApi.body).toMatch(/only on the entry URL/)
    expect((await raw('GET', `/api/events?token=${door.token}`)).status).toBe(400)
    expect((await raw('GET', `/res/slides/1.dzi?token=${door.token}`)).status).toBe(400)
    expect((await raw('GET', `/?token=${'0'.repeat(48)}`)).status).toBe(401)
  })
})

describe('route hygiene', () => {
  it('/res and /api/events accept only GET and HEAD', async () => {
    for (const m of ['POST', 'PUT', 'DELETE']) {
      expect((await raw(m, '/api/events', { 'x-tessera-token': door.token })).status, m).toBe(405)
      expect((await raw(m, '/res/slides/1.dzi', { 'x-tessera-token': door.token })).status, m).toBe(405)
    }
    expect((await raw('GET', '/api/call/project.list', { 'x-tessera-token': door.token })).status).toBe(405)
  })

  it('malformed percent-encoding is a 400, not a 500', async () => {
    for (const p of ['/api/call/%E0%A4%A', '/res/slides/%E0%A4%A', '/assets/%E0%A4%A.js', '/%']) {
      expect((await raw('POST', p, { 'x-tessera-token': door.token, 'content-type': 'application/json' }, '{}')).status, p).toBe(400)
    }
  })

  it('static files never follow a symlink out of the renderer folder', async () => {
    const leak = await raw('GET', '/assets/leak.js')
    expect(leak.status).toBe(404)
    expect(leak.body).not.toContain('TOP-SECRET')
    const up = await raw('GET', '/up/outside-secret.txt')
    expect(up.status).toBe(404)
    expect(up.body).not.toContain('TOP-SECRET')
    // a link that stays inside the folder is fine
    expect((await raw('GET', '/assets/alias.js')).body).toBe('console.log(1)')
  })
})
