// Messages between the app and the OpenSlide host child process (IPC with 'advanced' serialization, so pixel
// buffers travel as Uint8Array without base64).
import type { OpenSlideInfo } from './binding'

export type HostRequest =
  | { id: number; op: 'probe' }
  | { id: number; op: 'open'; path: string }
  | { id: number; op: 'read'; handle: number; x: number; y: number; level: number; width: number; height: number }
  | { id: number; op: 'associated'; handle: number; name: string }
  | { id: number; op: 'close'; handle: number }
  | { id: number; op: 'crash-for-test' }
  /** blocks the host synchronously (as a hung C call would), for the timeout test */
  | { id: number; op: 'hang-for-test'; ms: number }

export type HostReply =
  | { id: number; ok: false; error: string }
  | { id: number; ok: true; probe?: { available: boolean; version: string | null; reason: string }; handle?: number; info?: OpenSlideInfo; data?: Uint8Array; width?: number; height?: number }
