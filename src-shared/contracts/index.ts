// The one typed API of Tessera: every method of every service, with runtime request schemas.
// Add a service by writing `<service>.ts` beside this file and spreading it into `contract` below.
import type { z } from 'zod'
import type { MethodSpec } from './define'
import { projectContract } from './projects'
import { jobContract } from './jobs'
import { trainContract } from './train'
import { systemContract } from './system'
import { slideContract } from './slides'
import { modelContract } from './models'
import { featureContract } from './features'
import { evalContract } from './eval'
import { clusterContract } from './cluster'

export const contract = {
  ...systemContract,
  ...projectContract,
  ...trainContract,
  ...jobContract,
  ...slideContract,
  ...modelContract,
  ...featureContract,
  ...evalContract,
  ...clusterContract
} as const

export type Contract = typeof contract
export type MethodName = keyof Contract
export type RequestOf<K extends MethodName> = z.input<Contract[K]['request']>
export type ParsedRequestOf<K extends MethodName> = z.output<Contract[K]['request']>
export type ReplyOf<K extends MethodName> = Contract[K] extends MethodSpec<z.ZodType, infer R> ? R : never

export const methodNames = Object.keys(contract) as MethodName[]

export function isMethodName(name: string): name is MethodName {
  return Object.prototype.hasOwnProperty.call(contract, name)
}

/** Error shape every door returns for a failed call. */
export interface ApiErrorBody {
  code: 'bad_request' | 'unknown_method' | 'not_found' | 'conflict' | 'unauthorized' | 'internal' | 'unsupported'
  message: string
  details?: unknown
}

export type { CoreEvent, JobProgressEvent, JobFinishedEvent } from './events'
