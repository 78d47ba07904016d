// Child-process entry: probes the compute backends (loads TF.js, Dawn, onnxruntime) and sends the report back,
// so the UI process never loads them. Started by core/backend-probe.ts.
import '../core/child-ipc' // first: bridges an Electron utility process's parentPort to process.send/on('message')
import { backendReport } from './backend-report'

backendReport(undefined)
  .then((report) => process.send?.({ ok: true, report }))
  .catch((e: unknown) => process.send?.({ ok: false, error: (e as Error).message }))
  .finally(() => setTimeout(() => process.exit(0), 20))
