// Validates a raw request against the contract and calls the matching handler; the one entry of all doors.
import { contract, isMethodName, type MethodName, type ParsedRequestOf, type ReplyOf } from '../../src-shared/contracts/index'
import { ApiError } from './errors'

export type Handlers = {
  [K in MethodName]: (req: ParsedRequestOf<K>) => Promise<ReplyOf<K>> | ReplyOf<K>
}

export type Dispatch = (method: string, raw: unknown) => Promise<unknown>

/** Build the dispatcher. Unknown methods and invalid requests are rejected before any handler runs. */
export function createDispatcher(handlers: Handlers): Dispatch {
  return async (method, raw) => {
    if (!isMethodName(method)) throw new ApiError('unknown_method', `unknown method "${method}"`)
    const parsed = contract[method].request.safeParse(raw ?? {})
    if (!parsed.success) {
      const issues = parsed.error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(request)'}: ${i.message}`)
      throw new ApiError('bad_request', `invalid request for ${method}: ${issues.join('; ')}`, issues)
    }
    const handler = handlers[method] as (req: unknown) => unknown
    return await handler(parsed.data)
  }
}
