// Child-process entry of the OpenSlide host: owns libopenslide handles and answers requests over IPC, so a crash
// inside the C library (hostile files) kills only this process, never the app. Started by openslide-client.ts.
import '../../core/child-ipc' // first: bridges an Electron utility process's parentPort to process.send/on('message')
import { OpenSlideHandle, openSlideAvailability } from './binding'
import type { HostReply, HostRequest } from './protocol'

const handles = new Map<number, OpenSlideHandle>()
let nextHandle = 1

function handle(req: HostRequest): HostReply {
  try {
    switch (req.op) {
      case 'probe': {
        const a = openSlideAvailability()
        return { id: req.id, ok: true, probe: a }
      }
      case 'open': {
        const h = new OpenSlideHandle(req.path)
        const id = nextHandle++
        handles.set(id, h)
        return { id: req.id, ok: true, handle: id, info: h.info }
      }
      case 'read': {
        const h = handles.get(req.handle)
        if (!h) throw new Error('unknown handle')
        return { id: req.id, ok: true, data: h.readRegion(req.x, req.y, req.level, req.width, req.height) }
      }
      case 'associated': {
        const h = handles.get(req.handle)
        if (!h) throw new Error('unknown handle')
        const a = h.readAssociated(req.name)
        return { id: req.id, ok: true, data: a.data, width: a.width, height: a.height }
      }
      case 'close': {
        handles.get(req.handle)?.close()
        handles.delete(req.handle)
        return { id: req.id, ok: true }
      }
      case 'crash-for-test':
        process.abort()
      // falls through (abort never returns)
      case 'hang-for-test':
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, req.ms)
        return { id: req.id, ok: true }
    }
  } catch (e) {
    return { id: req.id, ok: false, error: e instanceof Error ? e.message : String(e) }
  }
}

process.on('message', (req: HostRequest) => {
  process.send?.(handle(req))
})
process.on('disconnect', () => process.exit(0))
