// Cross-site request guard of the HTTP door (pure, no I/O): which requests may reach the API and resources.
//
// Cookies are not bound to ports, so a page on any other local port (a dev server, Jupyter…) is "same-site" and
// its requests carry our SameSite=Strict cookie. What such a page cannot do: send an Origin other than its own,
// change Sec-Fetch-Site, or send a custom header / application/json without a CORS preflight, which this server
// never grants. So: a foreign Origin or a cross-origin Sec-Fetch-Site is refused everywhere; a state-changing call
// authenticated by the cookie alone must also come with our own Origin, application/json and X-Tessera-Request.
import type { IncomingHttpHeaders } from 'node:http'

/** Header the renderer sends on every API call; a cross-origin page cannot add it without a (refused) preflight. */
export const REQUEST_HEADER = 'x-tessera-request'

export type Credential = 'header' | 'cookie' | 'none'

export interface GuardVerdict {
  status: 403 | 415
  message: string
}

const first = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v)

/** The origins this server answers as: the loopback names of its own port. */
export function ownOrigins(port: number): string[] {
  return [`http://127.0.0.1:${port}`, `http://localhost:${port}`, `http://[::1]:${port}`]
}

/**
 * Verdict for a request to /api/* or /res/* (null: let it through to the token check and the handler).
 * `stateChanging`: POST /api/call/*; `credential`: how the token came (header, cookie, or not at all).
 */
export function guardRequest(headers: IncomingHttpHeaders, origins: readonly string[], stateChanging: boolean, credential: Credential): GuardVerdict | null {
  const origin = first(headers.origin)
  // "null" is what sandboxed frames and some redirects send: never ours
  if (origin !== undefined && !origins.includes(origin)) return { status: 403, message: `cross-origin request from ${origin.slice(0, 100)} refused` }
  const site = first(headers['sec-fetch-site'])
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return { status: 403, message: `cross-site request (Sec-Fetch-Site: ${site.slice(0, 40)}) refused` }
  if (!stateChanging || credential !== 'cookie') return null
  // cookie-only state changes: prove the request comes from our own page, and that it needed a preflight
  if (origin === undefined) return { status: 403, message: 'a call authenticated by cookie must carry the Origin header of this server' }
  const type = (first(headers['content-type']) ?? '').split(';')[0]!.trim().toLowerCase()
  if (type !== 'application/json') return { status: 415, message: 'API calls must be sent as application/json' }
  if (first(headers[REQUEST_HEADER]) === undefined) return { status: 403, message: `a call authenticated by cookie must carry the ${REQUEST_HEADER} header` }
  return null
}
