// The one API rejects invalid requests (wrong types, unknown method, missing token) with clear errors and
// changes nothing in the store — through the dispatcher and through the HTTP door.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { join } from 'node:path'
import { createCore, type Core } from '../../../src-main/core/core'
import { startHttpDoor, type HttpDoor } from '../../../src-main/server/http-server'
import { ApiError } from '../../../src-main/api/errors'
import { tempDir } from '../../helpers/tmp'

let core: Core
let door: HttpDoor

const snapshot = (): unknown => ({
  projects: core.db.prepare('SELECT * FROM projects ORDER BY id').all(),
  jobs: core.db.prepare('SELECT * FROM jobs ORDER BY id').all()
})

async function post(path: string, body: string, headers: Record<string, string> = {}): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${door.url}${path}`, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } })
  return { status: res.status, json: (await res.json()) as Record<string, unknown> }
}

beforeAll(async () => {
  core = createCore({ dbPath: join(tempDir('api-'), 't.db'), door: 'http' })
  await core.dispatch('project.create', { name: 'existing' })
  door = await startHttpDoor(core)
})
afterAll(async () => {
  await door.close()
  core.close()
})

describe('dispatcher validation', () => {
  const cases: [string, string, unknown, RegExp][] = [
    ['wrong type', 'project.create', { name: 42 }, /invalid request for project\.create: name: .*string/i],
    ['empty name', 'project.create', { name: '   ' }, /name must not be empty/],
    ['unknown key', 'project.create', { name: 'x', evil: true }, /unrecognized key.*evil/i],
    ['missing field', 'project.rename', { id: 1 }, /name/],
    ['negative id', 'project.get', { id: -1 }, /id/],
    ['delete without confirm', 'project.delete', { id: 1 }, /confirm/],
    ['not an object', 'project.create', 'name', /invalid request/],
    ['unknown method', 'project.explode', {}, /unknown method "project\.explode"/]
  ]
  for (const [what, method, req, message] of cases) {
    it(`rejects ${what} and changes nothing`, async () => {
      const before = snapshot()
      const err = await core.dispatch(method, req).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(ApiError)
      expect((err as ApiError).message).toMatch(message)
      expect(snapshot()).toEqual(before)
    })
  }

  it('reports a domain conflict with its message', async () => {
    await expect(core.dispatch('project.create', { name: 'existing' })).rejects.toThrow(/already exists/)
  })
})

describe('HTTP door', () => {
  it('rejects a call without the token (401) and changes nothing', async () => {
    const before = snapshot()
    const r = await post('/api/call/project.create', JSON.stringify({ name: 'sneaky' }))
    expect(r.status).toBe(401)
    expect(String(r.json['message'])).toMatch(/token/)
    expect(snapshot()).toEqual(before)
  })

  it('rejects a wrong token', async () => {
    const r = await post('/api/call/project.list', '{}', { 'x-tessera-token': 'f'.repeat(48) })
    expect(r.status).toBe(401)
  })

  it('rejects wrong types with 400 and unknown methods with 404, store unchanged', async () => {
    const before = snapshot()
    const auth = { 'x-tessera-token': door.token }
    const bad = await post('/api/call/project.create', JSON.stringify({ name: [] }), auth)
    expect(bad.status).toBe(400)
    expect((bad.json['error'] as { code: string }).code).toBe('bad_request')
    const unknown = await post('/api/call/no.such', '{}', auth)
    expect(unknown.status).toBe(404)
    expect((unknown.json['error'] as { message: string }).message).toMatch(/unknown method/)
    const notJson = await post('/api/call/project.create', '{name:', auth)
    expect(notJson.status).toBe(400)
    expect(snapshot()).toEqual(before)
  })

  it('accepts a valid call with the token', async () => {
    const r = await post('/api/call/project.create', JSON.stringify({ name: 'via http' }), { 'x-tessera-token': door.token })
    expect(r.status).toBe(200)
    expect((r.json['result'] as { name: string }).name).toBe('via http')
  })

  it('refuses foreign Host headers (DNS rebinding)', async () => {
    const { request } = await import('node:http')
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(`${door.url}/api/call/project.list`, { method: 'POST', headers: { host: 'evil.example:80', 'x-tessera-token': door.token } }, (res) => {
        res.resume()
        resolve(res.statusCode ?? 0)
      })
      req.on('error', reject)
      req.end('{}')
    })
    expect(status).toBe(403)
  })

  it('streams job progress as server-sent events', async () => {
    const controller = new AbortController()
    const res = await fetch(`${door.url}/api/events`, { headers: { 'x-tessera-token': door.token }, signal: controller.signal })
    const reader = res.body!.getReader()
    const job = (await core.dispatch('job.startDemo', { steps: 5, stepMs: 5 })) as { id: number }
    let text = ''
    while (!text.includes('"job.finished"')) {
      const { value, done } = await reader.read()
      if (done) break
      text += new TextDecoder().decode(value)
    }
    controller.abort()
    expect(text).toContain(`"jobId":${job.id}`)
    expect(text).toContain('"type":"job.progress"')
    expect(text).toMatch(/"type":"job\.finished".*"status":"succeeded"/)
  })
})
