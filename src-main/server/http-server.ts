// Headless door: the API over HTTP + server-sent events on 127.0.0.1 with a per-start random token,
// serving the built renderer so the real UI runs in a browser.
import { createServer, type IncomingMessage, type ServerResponse, type Server } from 'node:http'
import { randomBytes, timingSafeEqual } from 'node:crypto'
import type { AddressInfo } from 'node:net'
import type { Core } from '../core/core'
import { toErrorBody } from '../api/errors'
import { serveStatic } from './static-files'
import { guardRequest, ownOrigins, type Credential } from './request-guard'

const MAX_BODY = 16 * 1024 * 1024

/**
 * OpenSeadragon 6 injects one fixed <style> (focus outline on touch screens); its hash allows exactly that text.
 * tests/unit/server/csp.test.ts recomputes it from the installed OpenSeadragon, so an upgrade cannot drift silently.
 */
export const OSD_STYLE_HASH = "'sha256-9xTiqzfwFaL2SGb1rmr8gysEwVVjIvqWAgmZgqFqpEE='"

/**
 * The renderer's Content-Security-Policy (this door's header and Electron's tessera:// responses; index.html's meta
 * tag matches it). No 'unsafe-inline': the build emits styles as files, Vue's :style bindings set properties
 * through the CSSOM (which style-src does not restrict), and OpenSeadragon's one <style> is allowed by its hash.
 */
export const CSP =
  `default-src 'self'; script-src 'self'; style-src 'self' ${OSD_STYLE_HASH}; img-src 'self' data: blob:; ` +
  "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'"

export interface HttpDoor {
  url: string
  /** URL to open in a browser: it carries the token once, the server turns it into a cookie */
  openUrl: string
  token: string
  port: number
  close(): Promise<void>
}

export interface HttpDoorOptions {
  port?: number
  rendererDir?: string | null
  token?: string
}

/** The token a request carries and how: a header (programmatic clients) or the cookie (the browser UI). */
function tokenOf(req: IncomingMessage, cookieName: string): { token: string | null; credential: Credential } {
  const header = req.headers['x-tessera-token']
  if (typeof header === 'string') return { token: header, credential: 'header' }
  const auth = req.headers.authorization
  if (auth?.startsWith('Bearer ')) return { token: auth.slice(7), credential: 'header' }
  // never from the query string: a URL lands in history and proxy logs (only the entry URL carries it, once)
  const cookie = req.headers.cookie?.split(';').map((c) => c.trim()).find((c) => c.startsWith(`${cookieName}=`))
  if (cookie) return { token: cookie.slice(cookieName.length + 1), credential: 'cookie' }
  return { token: null, credential: 'none' }
}

function sameToken(a: string | null, b: string): boolean {
  if (a === null) return false
  const x = Buffer.from(a)
  const y = Buffer.from(b)
  return x.length === y.length && timingSafeEqual(x, y)
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const data = Buffer.from(JSON.stringify(body))
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': data.length, 'cache-control': 'no-store' })
  res.end(data)
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req) {
    size += (chunk as Buffer).length
    if (size > MAX_BODY) throw new Error(`request body larger than ${MAX_BODY} bytes`)
    chunks.push(chunk as Buffer)
  }
  return Buffer.concat(chunks).toString('utf8')
}

export async function startHttpDoor(core: Core, options: HttpDoorOptions = {}): Promise<HttpDoor> {
  const token = options.token ?? randomBytes(24).toString('hex')
  // per-start cookie name: cookies ignore ports, so two servers (or a stale start) must not share one
  const cookieName = `tessera_${randomBytes(6).toString('hex')}`
  let port = 0
  const sse = new Set<ServerResponse>()
  const unsubscribe = core.bus.on((event) => {
    const line = `data: ${JSON.stringify(event)}\n\n`
    for (const res of sse) res.write(line)
  })

  const server: Server = createServer((req, res) => {
    void handle(req, res).catch((e: unknown) => {
      if (!res.headersSent) sendJson(res, 500, toErrorBody(e))
      else res.end()
    })
  })

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // DNS-rebinding guard: only loopback host names are accepted.
    const host = (req.headers.host ?? '').replace(/:\d+$/, '')
    if (!['127.0.0.1', 'localhost', '[::1]'].includes(host)) {
      sendJson(res, 403, { code: 'unauthorized', message: `host "${host.slice(0, 100)}" not allowed` })
      return
    }
    res.setHeader('content-security-policy', CSP)
    res.setHeader('x-content-type-options', 'nosniff')
    res.setHeader('referrer-policy', 'no-referrer')
    let url: URL
    try {
      url = new URL(req.url ?? '/', 'http://127.0.0.1')
      decodeURIComponent(url.pathname)
    } catch {
      sendJson(res, 400, { code: 'bad_request', message: 'malformed URL (invalid percent-encoding)' })
      return
    }
    const method = req.method ?? 'GET'

    if (url.pathname === '/' && url.searchParams.has('token')) {
      // the entry URL's token wins over a stale cookie from an earlier server start
      if (!sameToken(url.searchParams.get('token'), token)) {
        sendJson(res, 401, { code: 'unauthorized', message: 'wrong token' })
        return
      }
      res.writeHead(302, { location: '/', 'set-cookie': `${cookieName}=${token}; HttpOnly; SameSite=Strict; Path=/`, 'cache-control': 'no-store' })
      res.end()
      return
    }
    if (url.searchParams.has('token')) {
      sendJson(res, 400, { code: 'bad_request', message: 'the token is accepted only on the entry URL (/?token=…); send it as a header or use the cookie' })
      return
    }

    const api = url.pathname.startsWith('/api/') || url.pathname.startsWith('/res/')
    if (api) {
      // each route accepts only its methods; OPTIONS (a CORS preflight) is never granted
      const allowed = url.pathname.startsWith('/api/call/') ? ['POST'] : ['GET', 'HEAD']
      if (!allowed.includes(method)) {
        res.setHeader('allow', allowed.join(', '))
        sendJson(res, 405, { code: 'bad_request', message: `${url.pathname.startsWith('/api/call/') ? 'API calls' : url.pathname} accept only ${allowed.join(', ')}` })
        return
      }
      const { token: given, credential } = tokenOf(req, cookieName)
      const verdict = guardRequest(req.headers, ownOrigins(port), method === 'POST', credential)
      if (verdict) {
        sendJson(res, verdict.status, { code: 'unauthorized', message: verdict.message })
        return
      }
      if (!sameToken(given, token)) {
        sendJson(res, 401, { code: 'unauthorized', message: 'missing or wrong token: open the URL printed by `tessera serve`' })
        return
      }
    }

    if (url.pathname.startsWith('/api/call/')) {
      const apiMethod = decodeURIComponent(url.pathname.slice('/api/call/'.length))
      let raw: unknown
      try {
        const text = await readBody(req)
        raw = text.length ? JSON.parse(text) : {}
      } catch (e) {
        sendJson(res, 400, { code: 'bad_request', message: `request body is not valid JSON: ${(e as Error).message}` })
        return
      }
      try {
        sendJson(res, 200, { ok: true, result: await core.dispatch(apiMethod, raw) })
      } catch (e) {
        const body = toErrorBody(e)
        const status = { bad_request: 400, unknown_method: 404, not_found: 404, conflict: 409, unauthorized: 401, unsupported: 501, internal: 500 }[body.code]
        sendJson(res, status, { ok: false, error: body })
      }
      return
    }

    if (url.pathname === '/api/events') {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' })
      res.write(': connected\n\n')
      sse.add(res)
      req.on('close', () => sse.delete(res))
      return
    }

    if (url.pathname.startsWith('/res/')) {
      const controller = new AbortController()
      req.on('close', () => controller.abort())
      try {
        const found = await core.resources.get(url.pathname.slice(4), url.searchParams, controller.signal)
        if (!found) {
          sendJson(res, 404, { code: 'not_found', message: `no resource ${url.pathname}` })
          return
        }
        res.writeHead(200, {
          'content-type': found.contentType,
          'content-length': found.body.length,
          'cache-control': found.maxAge ? `private, max-age=${found.maxAge}` : 'no-store'
        })
        res.end(found.body)
      } catch (e) {
        sendJson(res, 500, toErrorBody(e))
      }
      return
    }

    if (options.rendererDir && (method === 'GET' || method === 'HEAD')) {
      if (await serveStatic(options.rendererDir, url.pathname, res)) return
    }
    sendJson(res, 404, { code: 'not_found', message: `nothing at ${url.pathname}` })
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve())
  })
  port = (server.address() as AddressInfo).port
  const url = `http://127.0.0.1:${port}`
  return {
    url,
    openUrl: `${url}/?token=${token}`,
    token,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        unsubscribe()
        for (const res of sse) res.end()
        server.closeAllConnections()
        server.close(() => resolve())
      })
  }
}
