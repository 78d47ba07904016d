// WebGPU adapter classification (pure, no Dawn): is an adapter a software rasteriser, and which of several to prefer.
// Why: Mesa's lavapipe/llvmpipe (shipped by many Linux desktops) runs tfjs-webgpu ~9x slower than wasm, so automatic
// selection must never pick it; forcing (TESSERA_BACKEND=webgpu) still may, e.g. for correctness tests in CI.
// Quirk: WebGPU cannot enumerate adapters; we ask once per powerPreference ('high-performance' = discrete first,
// 'low-power' = integrated first) and compare what comes back.

export type PowerPreference = 'high-performance' | 'low-power'

/** The fields of GPUAdapterInfo we read (Dawn fills all four; isFallbackAdapter is newer than some Dawn builds). */
export interface AdapterInfoLike {
  vendor?: string
  architecture?: string
  device?: string
  description?: string
  isFallbackAdapter?: boolean
}

export interface AdapterCandidate {
  powerPreference: PowerPreference
  info: AdapterInfoLike
  /** GPUAdapter.isFallbackAdapter (older spec place of the same flag) */
  isFallbackAdapter?: boolean
}

export interface AdapterSummary {
  /** "vendor description" (or device/architecture when the description is empty) */
  name: string
  vendor: string
  architecture: string
  device: string
  description: string
  powerPreference: PowerPreference
  /** why this is a software adapter, or null for hardware */
  software: string | null
}

/** Names of software rasterisers as they appear in adapter info (any field, case-insensitive). */
const SOFTWARE_NAMES: readonly [RegExp, string][] = [
  [/llvmpipe/i, 'Mesa llvmpipe'],
  [/lavapipe/i, 'Mesa lavapipe'],
  [/softpipe/i, 'Mesa softpipe'],
  [/swiftshader/i, 'SwiftShader'],
  [/microsoft basic render driver/i, 'Microsoft Basic Render Driver'],
  [/\bwarp\b/i, 'Microsoft WARP']
]

/** Why this adapter is a software (CPU) implementation, or null when it looks like hardware. */
export function softwareAdapterReason(info: AdapterInfoLike, isFallbackAdapter = false): string | null {
  const fields = [info.vendor, info.architecture, info.device, info.description].filter((s): s is string => !!s)
  for (const [re, what] of SOFTWARE_NAMES) if (fields.some((f) => re.test(f))) return `software adapter (${what})`
  if (/^software$/i.test(info.architecture ?? '')) return 'software adapter (architecture "software")'
  if (isFallbackAdapter || info.isFallbackAdapter) return 'software adapter (WebGPU fallback adapter)'
  return null
}

export function summarizeAdapter(c: AdapterCandidate): AdapterSummary {
  const { vendor = '', architecture = '', device = '', description = '' } = c.info
  const detail = description || [device, architecture].filter(Boolean).join(' ')
  return {
    name: [vendor, detail].filter(Boolean).join(' ') || 'unnamed adapter',
    vendor, architecture, device, description,
    powerPreference: c.powerPreference,
    software: softwareAdapterReason(c.info, c.isFallbackAdapter ?? false)
  }
}

/**
 * The adapter to use among those returned for each power preference: hardware before software, then
 * 'high-performance' (the discrete GPU where a machine has both) before 'low-power'. Null when none came back.
 */
export function preferAdapter(candidates: readonly AdapterCandidate[]): AdapterSummary | null {
  const ranked = candidates.map(summarizeAdapter).sort((a, b) =>
    Number(a.software !== null) - Number(b.software !== null) ||
    Number(a.powerPreference !== 'high-performance') - Number(b.powerPreference !== 'high-performance'))
  return ranked[0] ?? null
}
