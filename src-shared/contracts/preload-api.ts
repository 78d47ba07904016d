// Shape of `window.tessera` that the desktop preload exposes to the renderer.
import type { MethodName } from './index'
import type { CoreEvent } from './events'

/** The IPC reply envelope: errors travel as data so their code and message survive the bridge. */
export type IpcReply = { ok: true; result: unknown } | { ok: false; error: { code: string; message: string } }

export interface PreloadApi {
  methods: Record<MethodName, (request: unknown) => Promise<IpcReply>>
  onEvent(listener: (event: CoreEvent) => void): () => void
  /** base URL for binary resources (tiles, thumbnails) */
  resourceBase: string
  /** desktop only: the file-system path of a dropped File (Electron's webUtils.getPathForFile) */
  pathForFile(file: File): string
}
