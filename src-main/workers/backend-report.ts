// Compute backends found on this machine: TF.js (via ml/backend.ts, chosen one and why others were skipped) and
// onnxruntime-node's execution providers. In workers/ because it loads TF.js; used by `tessera backend` and jobs.
import { cudaProviderLibrary } from '../interop/onnx-encoder'

export interface OnnxRuntimeReport {
  version: string | null
  providers: { name: string; bundled: boolean; usable: boolean; reason: string }[]
}

export async function onnxRuntimeReport(): Promise<OnnxRuntimeReport> {
  try {
    const ort = await import('onnxruntime-node')
    const cudaLib = cudaProviderLibrary()
    return {
      version: ort.env.versions.common ?? null,
      providers: ort.listSupportedBackends().map((b) => {
        if (b.name === 'cpu') return { ...b, usable: true, reason: 'bundled CPU provider' }
        if (b.name === 'cuda') {
          return cudaLib || b.bundled
            ? { ...b, usable: true, reason: `provider library present${cudaLib ? ` (${cudaLib})` : ''}; needs CUDA 12 + cuDNN 9 on the machine` }
            : { ...b, usable: false, reason: 'provider library not installed (onnxruntime-node installed with install=skip); CPU is used' }
        }
        return { ...b, usable: b.bundled, reason: b.bundled ? 'bundled, not used by Tessera yet' : 'not installed' }
      })
    }
  } catch (e) {
    return { version: null, providers: [{ name: 'cpu', bundled: false, usable: false, reason: `onnxruntime-node cannot load: ${(e as Error).message}` }] }
  }
}

export async function backendReport(force?: string): Promise<{ tfjs: unknown; onnxruntime: OnnxRuntimeReport }> {
  const { describeBackends, backendNames } = await import('../ml/backend')
  const forced = force as (typeof backendNames)[number] | undefined
  if (forced !== undefined && !backendNames.includes(forced)) throw new Error(`unknown backend '${force}': choose one of ${backendNames.join(', ')}`)
  return { tfjs: await describeBackends(forced ? { force: forced } : {}), onnxruntime: await onnxRuntimeReport() }
}
