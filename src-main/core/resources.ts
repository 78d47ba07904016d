// Read-only binary resources (slide tiles, thumbnails, reports) addressed by path; served by the HTTP door
// and by the desktop `tessera://` protocol through the same router.

export interface Resource {
  contentType: string
  body: Buffer
  /** seconds a client may cache it (tiles are immutable for a slide checksum) */
  maxAge?: number
}

/** `rest` is the path after the prefix, already split on '/' and URL-decoded. */
export type ResourceHandler = (rest: string[], query: URLSearchParams, signal: AbortSignal) => Promise<Resource | null>

export class ResourceRouter {
  private readonly handlers = new Map<string, ResourceHandler>()

  register(prefix: string, handler: ResourceHandler): void {
    if (!/^[a-z][a-z0-9-]*$/.test(prefix)) throw new Error(`bad resource prefix "${prefix}"`)
    this.handlers.set(prefix, handler)
  }

  /** Resolve `/<prefix>/<a>/<b>…`; null when no handler or the handler has nothing. Rejects traversal segments. */
  async get(path: string, query: URLSearchParams, signal: AbortSignal): Promise<Resource | null> {
    const parts = path.split('/').filter((p) => p.length > 0)
    let decoded: string[]
    try {
      decoded = parts.map((p) => decodeURIComponent(p))
    } catch {
      return null
    }
    if (decoded.some((p) => p === '..' || p === '.' || p.includes('/') || p.includes('\\') || p.includes('\0'))) return null
    const [prefix, ...rest] = decoded
    const handler = prefix ? this.handlers.get(prefix) : undefined
    return handler ? handler(rest, query, signal) : null
  }
}
