// The renderer's CSP has no 'unsafe-inline' (or any unsafe-*) in the door's header, Electron's tessera:// responses
// and index.html's meta tag; the one inline <style> OpenSeadragon injects is allowed by a hash recomputed here.
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { CSP, OSD_STYLE_HASH } from '../../../src-main/server/http-server'

const directive = (csp: string, name: string): string[] =>
  (csp.split(';').map((d) => d.trim().split(/\s+/)).find((d) => d[0] === name) ?? []).slice(1)

/** The text OpenSeadragon puts in its injected <style>, read from the installed package (string pieces joined). */
function osdInjectedStyle(): string {
  const file = createRequire(import.meta.url).resolve('openseadragon')
  const src = readFileSync(file, 'utf8')
  const m = /style\.textContent\s*=\s*((?:\s*'[^']*'\s*\+?)+);/.exec(src)
  if (!m) throw new Error(`${file}: OpenSeadragon's injected style not found (did its source change?)`)
  return [...m[1]!.matchAll(/'([^']*)'/g)].map((p) => p[1]).join('')
}

describe('renderer CSP', () => {
  const meta = /http-equiv="Content-Security-Policy" content="([^"]+)"/.exec(readFileSync(join(__dirname, '../../../src-renderer/index.html'), 'utf8'))?.[1] ?? ''

  it('has no unsafe source anywhere', () => {
    expect(meta).not.toBe('')
    for (const csp of [CSP, meta]) {
      expect(csp).not.toMatch(/unsafe-/)
      expect(directive(csp, 'script-src')).toEqual(["'self'"])
      expect(directive(csp, 'style-src')).toEqual(["'self'", OSD_STYLE_HASH])
      expect(directive(csp, 'object-src')).toEqual(["'none'"])
    }
  })

  it("allows exactly OpenSeadragon's injected style by hash", () => {
    const text = osdInjectedStyle()
    expect(text).toContain('.openseadragon-canvas:focus')
    expect(OSD_STYLE_HASH).toBe(`'sha256-${createHash('sha256').update(text).digest('base64')}'`)
  })
})
