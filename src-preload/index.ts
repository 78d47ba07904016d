// Sandboxed preload: exposes exactly one function per API method (never raw ipcRenderer) and an event subscription.
import { contextBridge, ipcRenderer, webUtils, type IpcRendererEvent } from 'electron'
import { methodNames } from '../src-shared/contracts/index'
import type { CoreEvent } from '../src-shared/contracts/events'
import type { PreloadApi } from '../src-shared/contracts/preload-api'

const api: PreloadApi = {
  methods: Object.fromEntries(
    methodNames.map((name) => [name, (request: unknown) => ipcRenderer.invoke(`tessera:${name}`, request)])
  ) as PreloadApi['methods'],
  onEvent(listener: (event: CoreEvent) => void): () => void {
    const wrapped = (_e: IpcRendererEvent, event: CoreEvent): void => listener(event)
    ipcRenderer.on('tessera:event', wrapped)
    return () => ipcRenderer.removeListener('tessera:event', wrapped)
  },
  resourceBase: 'tessera://app/res',
  // sandboxed renderers cannot read File.path; webUtils resolves it for files the user dropped
  pathForFile: (file: File) => webUtils.getPathForFile(file)
}

contextBridge.exposeInMainWorld('tessera', api)
