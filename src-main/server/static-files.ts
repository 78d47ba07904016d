// Serves the built renderer from one folder; never outside it (symlinks included); SPA fallback to index.html.
import { readFile, realpath, stat } from 'node:fs/promises'
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

export function contentTypeOf(file: string): string {
  return TYPES[extname(file)] ?? 'application/octet-stream'
}

/** Resolve a URL path inside `root`, or null if it escapes it (lexically: symlinks are checked by resolveInside). */
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

/**
 * The real path of a regular file at `urlPath` under `root`, or null: lexically inside (safeJoin) and, once every
 * symlink is resolved, still inside the root's own real path (a link to /etc or ~/.ssh in the folder is refused).
 */
export async function resolveInside(root: string, urlPath: string): Promise<string | null> {
  const file = safeJoin(root, urlPath)
  if (!file) return null
  const [realRoot, realFile] = await Promise.all([realpath(root).catch(() => null), realpath(file).catch(() => null)])
  if (!realRoot || !realFile) return null
  if (!realFile.startsWith(realRoot.endsWith(sep) ? realRoot : realRoot + sep)) return null
  const info = await stat(realFile).catch(() => null)
  return info?.isFile() ? realFile : null
}

export async function serveStatic(root: string, urlPath: string, res: ServerResponse): Promise<boolean> {
  let file = await resolveInside(root, urlPath === '/' ? '/index.html' : urlPath)
  if (!file) {
    // client-side routes fall back to the app shell; asset misses (and refused paths) stay 404
    if (extname(urlPath)) return false
    file = await resolveInside(root, '/index.html')
    if (!file) return false
  }
  const body = await readFile(file)
  res.writeHead(200, {
    'content-type': contentTypeOf(file),
    'content-length': body.length,
    'cache-control': file.endsWith('index.html') ? 'no-store' : 'public, max-age=3600'
  })
  res.end(body)
  return true
}
