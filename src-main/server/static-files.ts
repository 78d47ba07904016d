// Serves the built renderer from one folder; never outside it; SPA fallback to index.html.
import { readFile, stat } from 'node:fs/promises'
import { extname, join, normalize, sep } from 'node:path'
import type { ServerResponse } from 'node:http'

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.woff2': 'font/woff2'
}

/** Resolve a URL path inside `root`, or null if it escapes it. */
export function safeJoin(root: string, urlPath: string): string | null {
  let decoded: string
  try {
    decoded = decodeURIComponent(urlPath)
  } catch {
    return null
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return null
  const full = normalize(join(root, decoded))
  const base = normalize(root.endsWith(sep) ? root : root + sep)
  return full === normalize(root) || full.startsWith(base) ? full : null
}

export async function serveStatic(root: string, urlPath: string, res: ServerResponse): Promise<boolean> {
  let file = safeJoin(root, urlPath === '/' ? '/index.html' : urlPath)
  if (!file) return false
  let info = await stat(file).catch(() => null)
  if (!info?.isFile()) {
    // client-side routes fall back to the app shell; asset misses stay 404
    if (extname(urlPath)) return false
    file = join(root, 'index.html')
    info = await stat(file).catch(() => null)
    if (!info?.isFile()) return false
  }
  const body = await readFile(file)
  res.writeHead(200, {
    'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
    'content-length': body.length,
    'cache-control': file.endsWith('index.html') ? 'no-store' : 'public, max-age=3600'
  })
  res.end(body)
  return true
}
