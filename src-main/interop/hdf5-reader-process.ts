// Child-process entry that reads one HDF5 feature file and sends the result back; a crash or hang here cannot
// take the caller down (the parent kills it on timeout). Started by hdf5-isolated.ts.
import { readFeatureFileUnsafe } from './hdf5'

process.once('message', (msg: { file: string }) => {
  void readFeatureFileUnsafe(msg.file)
    .then((data) => process.send?.({ ok: true, data }))
    .catch((e: unknown) => process.send?.({ ok: false, message: (e as Error).message || String(e) }))
    .finally(() => setTimeout(() => process.exit(0), 20))
})
process.on('disconnect', () => process.exit(1))
