// Contract of system-level methods: version, health and the compute backends found.
import { z } from 'zod'
import { method } from './define'

export interface SystemInfo {
  version: string
  node: string
  platform: string
  cpus: number
  dbPath: string
  door: 'desktop' | 'http' | 'cli'
}

/** Compute backends found on this machine: TF.js (chosen one, why others were skipped) and onnxruntime providers. */
export interface BackendsReport {
  tfjs: { chosen: string; adapter?: string; why: string; found: { name: string; backend: string; available: boolean; reason: string; autoSkip?: string }[] }
  onnxruntime: { version: string | null; providers: { name: string; usable: boolean; reason: string }[] }
}

export const systemContract = {
  'system.info': method<SystemInfo>()(z.strictObject({}), 'Version and environment of the running core'),
  'system.backends': method<BackendsReport>()(z.strictObject({}), 'Compute backends found (probed once per start, in a child process)')
} as const
