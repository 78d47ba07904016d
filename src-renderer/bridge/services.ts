// Typed callers per service contract, usable before the service is spread into the API index: requests and
// replies are typed from the service's own contract file; at runtime a missing method rejects with 'unsupported'.
import type { z } from 'zod'
import type { MethodSpec } from '../../src-shared/contracts/define'
import type { slideContract } from '../../src-shared/contracts/slides'
import type { trainContract } from '../../src-shared/contracts/train'
import { callByName } from './index'

type AnyContract = Record<string, MethodSpec<z.ZodType, unknown>>
type RequestIn<S> = S extends MethodSpec<infer Q, unknown> ? z.input<Q> : never
type ReplyIn<S> = S extends MethodSpec<z.ZodType, infer R> ? R : never

/** A caller bound to one contract: `slides('slide.list', { projectId })`. */
export type ServiceCaller<C extends AnyContract> = <K extends keyof C & string>(method: K, request: RequestIn<C[K]>) => Promise<ReplyIn<C[K]>>

function caller<C extends AnyContract>(): ServiceCaller<C> {
  return async (method, request) => (await callByName(method, request)) as ReplyIn<C[typeof method]>
}

export const slides = caller<typeof slideContract>()
export const train = caller<typeof trainContract>()
