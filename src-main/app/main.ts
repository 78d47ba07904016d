// Electron shell: the only code that imports electron. Window security, the tessera:// protocol, IPC wiring.
import { app, BrowserWindow, ipcMain, protocol, session, type WebContents } from 'electron'
import { join } from 'node:path'
import { readFile } from 'node:fs/promises'
import { createCore, type Core } from '../core/core'
import { defaultDbPath } from '../core/data-dir'
import { methodNames } from '../../src-shared/contracts/index'
import { toErrorBody } from '../api/errors'
import { safeJoin } from '../server/static-files'
import { CSP } from '../server/http-server'

protocol.registerSchemesAsPrivileged([
  { scheme: 'tessera', privileges: { standard: true, secure: true, supportFetchAPI: true, stream: true } }
])

const rendererDir = join(__dirname, '../renderer')
let core: Core | null = null
let mainWindow: BrowserWindow | null = null

/** IPC is accepted only from our own window's main frame loaded from tessera://app. */
function trustedSender(sender: WebContents, frameUrl: string | undefined): boolean {
  return mainWindow !== null && sender === mainWindow.webContents && (frameUrl ?? '').startsWith('tessera://app/')
}

function registerProtocol(c: Core): void {
  protocol.handle('tessera', async (request) => {
    const url = new URL(request.url)
    if (url.host !== 'app') return new Response('not found', { status: 404 })
    if (url.pathname.startsWith('/res/')) {
      const found = await c.resources.get(url.pathname.slice(4), url.searchParams, request.signal)
      if (!found) return new Response('not found', { status: 404 })
      return new Response(new Uint8Array(found.body), { headers: { 'content-type': found.contentType } })
    }
    const file = safeJoin(rendererDir, url.pathname === '/' ? '/index.html' : url.pathname)
    if (!file) return new Response('forbidden', { status: 403 })
    try {
      const body = await readFile(file)
      const type = file.endsWith('.html') ? 'text/html' : file.endsWith('.js') ? 'text/javascript' : file.endsWith('.css') ? 'text/css' : 'application/octet-stream'
      return new Response(new Uint8Array(body), { headers: { 'content-type': type, 'content-security-policy': CSP } })
    } catch {
      return new Response('not found', { status: 404 })
    }
  })
}

function registerIpc(c: Core): void {
  for (const name of methodNames) {
    ipcMain.handle(`tessera:${name}`, async (event, request: unknown) => {
      if (!trustedSender(event.sender, event.senderFrame?.url)) return { ok: false, error: { code: 'unauthorized', message: 'untrusted sender' } }
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
      webSecurity: true,
      webviewTag: false
    }
  })
  const contents = mainWindow.webContents
  contents.on('will-navigate', (e, url) => {
    if (!url.startsWith('tessera://app/')) e.preventDefault()
  })
  contents.setWindowOpenHandler(() => ({ action: 'deny' }))
  void mainWindow.loadURL('tessera://app/index.html')
}

app.on('web-contents-created', (_e, contents) => {
  contents.on('will-attach-webview', (e) => e.preventDefault())
})

void app.whenReady().then(() => {
  session.defaultSession.setPermissionRequestHandler((_wc, _permission, callback) => callback(false))
  core = createCore({ dbPath: defaultDbPath(), door: 'desktop' })
  registerProtocol(core)
  registerIpc(core)
  createWindow()
})

app.on('window-all-closed', () => {
  core?.close()
  app.quit()
})
