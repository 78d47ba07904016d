// Imported first by every child entry (job runner, OpenSlide host, HDF5 reader, backend probe): when the child was
// started as an Electron utility process (see child-launch.ts), bridge its parentPort to the process.send /
// process.on('message') API the children are written against. Under plain Node (fork) it does nothing.

interface ParentPort {
  postMessage(message: unknown): void
  on(event: 'message', listener: (e: { data: unknown }) => void): void
}

const port = (process as unknown as { parentPort?: ParentPort }).parentPort
if (port && typeof process.send !== 'function') {
  const p = process as unknown as { send: (m: unknown) => boolean; connected: boolean }
  p.send = (m: unknown) => {
    port.postMessage(m)
    return true
  }
  p.connected = true
  port.on('message', (e) => (process as NodeJS.EventEmitter).emit('message', e.data))
}

export {}
