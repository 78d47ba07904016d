// Headless Debian chromium through playwright-core, plus a Tessera HTTP door on a temp database.
import { existsSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { chromium, type Browser, type Page } from 'playwright-core'
import { createCore, type Core } from '../../src-main/core/core'
import { startHttpDoor, type HttpDoor } from '../../src-main/server/http-server'

export const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium'

/** Chromium is required in CI; locally a missing browser skips the e2e tests with a reason. */
export function chromiumAvailable(): boolean {
  if (existsSync(CHROMIUM)) return true
  if (process.env['CI']) throw new Error(`chromium not found at ${CHROMIUM}: CI must install it (apt-get install chromium)`)
  console.warn(`e2e skipped: chromium not found at ${CHROMIUM}`)
  return false
}

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic']
  })
}

export interface Served {
  core: Core
  door: HttpDoor
  stop(): Promise<void>
}

export async function serve(dbPath: string): Promise<Served> {
  const core = createCore({ dbPath, door: 'http' })
  const door = await startHttpDoor(core, { rendererDir: join(process.cwd(), 'out', 'renderer') })
  return {
    core,
    door,
    async stop() {
      await door.close()
      core.close()
    }
  }
}

/** Records every request the page makes that does not go to `allowedOrigin`. */
export function recordForeignRequests(page: Page, allowedOrigin: string): string[] {
  const foreign: string[] = []
  page.on('request', (req) => {
    const url = req.url()
    if (!url.startsWith(allowedOrigin) && !url.startsWith('data:') && !url.startsWith('blob:')) foreign.push(url)
  })
  return foreign
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync('test-results', { recursive: true })
  const file = join('test-results', `${name}.png`)
  await page.screenshot({ path: file })
  return file
}

/** Collects page errors and console errors (CSP violations show up here). */
export function collectErrors(page: Page): string[] {
  const errors: string[] = []
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`))
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`)
  })
  return errors
}
