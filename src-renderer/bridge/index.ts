// The renderer's only way to the core: the preload API in Electron, the HTTP door in a browser.
import type { MethodName, ReplyOf, RequestOf, CoreEvent } from '../../src-shared/contracts/index'
import { isMethodName } from '../../src-shared/contracts/index'
import type { PreloadApi, IpcReply } from '../../src-shared/contracts/preload-api'

/** Error raised for a failed API call, with the core's error code. */
export class BridgeError extends Error {
  constructor(
    readonly code: string,
    message: string
  ) {
    super(message)
    this.name = 'BridgeError'
  }
}

declare global {
  interface Window {
    tessera?: PreloadApi
  }
}

function preload(): PreloadApi | null {
  return typeof window !== 'undefined' && window.tessera ? window.tessera : null
}

async function httpCall(method: string, request: unknown): Promise<IpcReply> {
  const res = await fetch(`/api/call/${encodeURIComponent(method)}`, {
    method: 'POST',
    // JSON + a custom header: a cross-origin page cannot send either without a CORS preflight the server refuses
    headers: { 'content-type': 'application/json', 'x-tessera-request': '1' },
    credentials: 'same-origin',
    body: JSON.stringify(request ?? {})
  })
  const body = (await res.json()) as IpcReply | { code: string; message: string }
  if ('ok' in body) return body
  return { ok: false, error: body }
}

/** Call one API method; resolves with its typed reply or throws BridgeError. */
export async function call<K extends MethodName>(method: K, request: RequestOf<K>): Promise<ReplyOf<K>> {
  const api = preload()
  const reply = api ? await api.methods[method](request) : await httpCall(method, request)
  if (!reply.ok) throw new BridgeError(reply.error.code, reply.error.message)
  return reply.result as ReplyOf<K>
}

/** Whether this build's API has a method (views of services still landing say so instead of failing). */
export function hasMethod(method: string): boolean {
  return isMethodName(method)
}

/** Subscribe to core events (job progress…); returns the unsubscribe function. */
export function onEvent(listener: (event: CoreEvent) => void): () => void {
  const api = preload()
  if (api) return api.onEvent(listener)
  const source = new EventSource('/api/events', { withCredentials: true })
  source.onmessage = (m: MessageEvent<string>) => listener(JSON.parse(m.data) as CoreEvent)
  return () => source.close()
}

/** File-system paths of dropped files: available in the desktop app only (a browser gives a File no path). */
export function droppedFilePaths(files: FileList): string[] | null {
  const api = preload()
  if (!api) return null
  return Array.from(files, (f) => api.pathForFile(f)).filter((p) => p.length > 0)
}

/** Base URL of binary resources (tiles, thumbnails): `${resourceBase()}/slides/1.dzi`. */
export function resourceBase(): string {
  return preload()?.resourceBase ?? '/res'
}
