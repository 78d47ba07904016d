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

export const systemContract = {
  'system.info': method<SystemInfo>()(z.strictObject({}), 'Version and environment of the running core')
} as const
