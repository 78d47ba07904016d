// E2E (chromium): a page served from another loopback port cannot change Tessera's state, although cookies
// ignore ports (its requests carry our SameSite=Strict cookie); Tessera's own page still can.
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Browser } from 'playwright-core'
import { chromiumAvailable, launchBrowser, serve } from '../helpers/browser'
import { tempDir } from '../helpers/tmp'

const enabled = chromiumAvailable()

/** A hostile page: every way a cross-origin page can POST without a preflight, plus one that needs it. */
function evilPage(target: string): string {
  const body = JSON.stringify({ name: 'EVIL' })
  return `<!doctype html><meta charset="utf-8"><title>evil</title>
<iframe name="sink"></iframe>
<form id="f" method="POST" enctype="text/plain" target="sink" action="${target}/api/call/project.create">
<input name='{"name":"EVIL-form","x":"' value='"}'></form>
<script>
const attempts = [
  fetch('${target}/api/call/project.create', { method: 'POST', mode: 'no-cors', credentials: 'include', headers: { 'content-type': 'text/plain' }, body: '${body.replace('EVIL', 'EVIL-nocors')}' }),
  fetch('${target}/api/call/project.create', { method: 'POST', mode: 'no-cors', credentials: 'include', body: new Blob(['${body.replace('EVIL', 'EVIL-blob')}']) }),
  fetch('${target}/api/call/project.create', { method: 'POST', credentials: 'include', headers: { 'content-type': 'application/json', 'x-tessera-request': '1' }, body: '${body.replace('EVIL', 'EVIL-cors')}' })
].map((p) => p.then(() => 'sent', (e) => 'blocked: ' + e.message))
document.getElementById('f').submit()
Promise.all(attempts).then((r) => { window.results = r })
</script>`
}

describe.runIf(enabled)('cross-site requests in chromium', () => {
  let browser: Browser
  let evil: Server
  let evilUrl = ''
  let target = ''
  beforeAll(async () => {
    browser = await launchBrowser()
    evil = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
      res.end(evilPage(target))
    })
    await new Promise<void>((resolve) => evil.listen(0, '127.0.0.1', resolve))
    evilUrl = `http://127.0.0.1:${(evil.address() as AddressInfo).port}/`
  })
  afterAll(async () => {
    await browser?.close()
    await new Promise((resolve) => evil?.close(resolve))
  })

  it('a page on another local port fails to create a project; our own page succeeds', async () => {
    const served = await serve(join(tempDir('e2e-csrf-'), 'tessera.db'))
    target = served.door.url
    const context = await browser.newContext()
    try {
      const own = await context.newPage()
      await own.goto(served.door.openUrl) // sets the cookie
      expect((await context.cookies(served.door.url)).length).toBe(1)

      const page = await context.newPage()
      await page.goto(evilUrl)
      await page.waitForFunction(() => (globalThis as unknown as { results?: string[] }).results !== undefined, undefined, { timeout: 15_000 })
      // the form posts into the iframe: wait for that navigation to finish too
      await page.waitForTimeout(500)
      expect(served.core.projects.list().map((p) => p.name)).toEqual([])

      // control: the same call from Tessera's own page, as the renderer's bridge sends it
      const status = await own.evaluate(async () => {
        const res = await fetch('/api/call/project.create', { method: 'POST', headers: { 'content-type': 'application/json', 'x-tessera-request': '1' }, credentials: 'same-origin', body: JSON.stringify({ name: 'ours' }) })
        return res.status
      })
      expect(status).toBe(200)
      expect(served.core.projects.list().map((p) => p.name)).toEqual(['ours'])
    } finally {
      await context.close()
      await served.stop()
    }
  })
})
