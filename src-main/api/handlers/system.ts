// Handlers of system.* methods.
import { cpus } from 'node:os'
import type { Handlers } from '../dispatch'
import type { Services } from '../../core/services'
import { VERSION } from '../../core/version'
import { probeBackends } from '../../core/backend-probe'

export function systemHandlers(s: Services): Pick<Handlers, 'system.info' | 'system.backends'> {
  return {
    'system.info': () => ({
      version: VERSION,
      node: process.versions.node,
      platform: `${process.platform}-${process.arch}`,
      cpus: cpus().length,
      dbPath: s.dbPath,
      door: s.door
    }),
    'system.backends': () => probeBackends()
  }
}
