// Child-process entry that reads HDF5 feature files and sends each result back; a crash or hang here cannot
// take the caller down (the parent kills it on timeout). Started by hdf5-isolated.ts. It exits after a request
// without `more` (one file per process), or serves the next request of a session (`more: true`).
import '../core/child-ipc' // first: bridges an Electron utility process's parentPort to process.send/on('message')
import { readFeatureFileUnsafe } from './hdf5'

process.on('message', (msg: { file: string; more?: boolean }) => {
  void readFeatureFileUnsafe(msg.file)
    .then((data) => process.send?.({ ok: true, data }))
    .catch((e: unknown) => process.send?.({ ok: false, message: (e as Error).message || String(e) }))
    .finally(() => {
      if (!msg.more) setTimeout(() => process.exit(0), 20)
    })
})
process.on('disconnect', () => process.exit(1))
