// Electron shell: the only code that imports electron. Window security, the tessera:// protocol, IPC wiring.
// The decisions themselves (app URLs, trusted senders) live in shell-policy.ts, unit-tested without Electron.
import { app, BrowserWindow, ipcMain, protocol, session, type IpcMainInvokeEvent } from 'electron'
import { join } from 'node:path'
import { readFile } from 'node:fs/promises'
import { createCore, type Core } from '../core/core'
import { defaultDbPath } from '../core/data-dir'
import { methodNames } from '../../src-shared/contracts/index'
import { toErrorBody } from '../api/errors'
import { contentTypeOf, resolveInside } from '../server/static-files'
import { CSP } from '../server/http-server'
import { allowNavigation, APP_ORIGIN, isTrustedSender } from './shell-policy'
import { setChildLauncher } from '../core/child-launch'
import { utilityLauncher } from './utility-launcher'

protocol.registerSchemesAsPrivileged([
  { scheme: 'tessera', privileges: { standard: true, secure: true, supportFetchAPI: true, stream: true } }
])

const rendererDir = join(__dirname, '../renderer')
let core: Core | null = null
let mainWindow: BrowserWindow | null = null

/** IPC is accepted only from our window's main frame (process + routing id) while it shows tessera://app. */
function trustedSender(event: IpcMainInvokeEvent): boolean {
  const main = mainWindow && !mainWindow.isDestroyed() ? mainWindow.webContents : null
  const frame = event.senderFrame
  return isTrustedSender(
    event.sender.id,
    frame ? { processId: frame.processId, routingId: frame.routingId, url: frame.url } : null,
    main ? { contentsId: main.id, frame: { processId: main.mainFrame.processId, routingId: main.mainFrame.routingId, url: main.mainFrame.url } } : null
  )
}

function registerProtocol(c: Core): void {
  protocol.handle('tessera', async (request) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') return new Response('method not allowed', { status: 405 })
    let url: URL
    try {
      url = new URL(request.url)
      decodeURIComponent(url.pathname)
    } catch {
      return new Response('malformed URL', { status: 400 })
    }
    if (url.host !== 'app') return new Response('not found', { status: 404 })
    if (url.pathname.startsWith('/res/')) {
      const found = await c.resources.get(url.pathname.slice(4), url.searchParams, request.signal)
      if (!found) return new Response('not found', { status: 404 })
      return new Response(new Uint8Array(found.body), { headers: { 'content-type': found.contentType } })
    }
    // inside the renderer folder after every symlink is resolved
    const file = await resolveInside(rendererDir, url.pathname === '/' ? '/index.html' : url.pathname)
    if (!file) return new Response('not found', { status: 404 })
    try {
      const body = await readFile(file)
      return new Response(new Uint8Array(body), { headers: { 'content-type': contentTypeOf(file), 'content-security-policy': CSP } })
    } catch {
      return new Response('not found', { status: 404 })
    }
  })
}

function registerIpc(c: Core): void {
  for (const name of methodNames) {
    ipcMain.handle(`tessera:${name}`, async (event, request: unknown) => {
      if (!trustedSender(event)) return { ok: false, error: { code: 'unauthorized', message: 'untrusted sender' } }
      try {
        return { ok: true, result: await c.dispatch(name, request) }
      } catch (e) {
        return { ok: false, error: toErrorBody(e) }
      }
    })
  }
  c.bus.on((event) => mainWindow?.webContents.send('tessera:event', event))
}

function createWindow(): void {
  mainWindow = new BrowserWindow({
    width: 1440,
    height: 900,
    backgroundColor: '#111418',
    webPreferences: {
      preload: join(__dirname, '../preload/index.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      webviewTag: false,
      // middle-click would otherwise ask for a new window (denied below anyway)
      disableBlinkFeatures: 'Auxclick'
    }
  })
  void mainWindow.loadURL(`${APP_ORIGIN}/index.html`)
}

/** Every web contents (the window, and any that might appear) stays inside the app and opens nothing. */
app.on('web-contents-created', (_e, contents) => {
  contents.on('will-attach-webview', (e) => e.preventDefault())
  contents.on('will-navigate', (e) => {
    if (!allowNavigation(e.url)) e.preventDefault()
  })
  contents.on('will-frame-navigate', (e) => {
    if (!allowNavigation(e.url)) e.preventDefault()
  })
  contents.on('will-redirect', (e) => {
    if (!allowNavigation(e.url)) e.preventDefault()
  })
  contents.setWindowOpenHandler(() => ({ action: 'deny' }))
})

void app.whenReady().then(() => {
  const ses = session.defaultSession
  // the app needs no web permission (camera, notifications, HID, USB, serial…): refuse requests, checks and devices
  ses.setPermissionRequestHandler((_wc, _permission, callback) => callback(false))
  ses.setPermissionCheckHandler(() => false)
  ses.setDevicePermissionHandler(() => false)
  // children start as utility processes, never as `electron` with ELECTRON_RUN_AS_NODE (the fuse can be off)
  setChildLauncher(utilityLauncher)
  core = createCore({ dbPath: defaultDbPath(), door: 'desktop' })
  registerProtocol(core)
  registerIpc(core)
  createWindow()
})

app.on('window-all-closed', () => {
  core?.close()
  app.quit()
})
