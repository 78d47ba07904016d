// Static files and resources never resolve outside their roots (path traversal payloads).
import { describe, expect, it } from 'vitest'
import { safeJoin } from '../../../src-main/server/static-files'
import { ResourceRouter } from '../../../src-main/core/resources'

const payloads = ['/../etc/passwd', '/%2e%2e/%2e%2e/etc/passwd', '/..%2f..%2fetc/passwd', '/a/../../x', '/%252e%252e/x', '/..\\..\\x', '/a%00b', '/%E0%A4%A']

describe('path safety', () => {
  it('safeJoin stays inside the root', () => {
    for (const p of payloads) {
      const r = safeJoin('/srv/app', p)
      expect(r === null || r.startsWith('/srv/app/'), p).toBe(true)
    }
    expect(safeJoin('/srv/app', '/assets/x.js')).toBe('/srv/app/assets/x.js')
  })

  it('the resource router refuses traversal segments', async () => {
    const router = new ResourceRouter()
    const seen: string[][] = []
    router.register('slides', async (rest) => {
      seen.push(rest)
      return { contentType: 'text/plain', body: Buffer.from('ok') }
    })
    const signal = new AbortController().signal
    for (const p of ['/slides/%2e%2e/x', '/slides/..', '/slides/a%2fb', '/slides/a%5cb', '/slides/%00']) {
      expect(await router.get(p, new URLSearchParams(), signal), p).toBeNull()
    }
    expect(await router.get('/slides/1.dzi', new URLSearchParams(), signal)).not.toBeNull()
    expect(seen).toEqual([['1.dzi']])
  })
})
