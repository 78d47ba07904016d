// The error type every service throws for expected failures; doors map it to ApiErrorBody.
import type { ApiErrorBody } from '../../src-shared/contracts/index'

export class ApiError extends Error {
  constructor(
    readonly code: ApiErrorBody['code'],
    message: string,
    readonly details?: unknown
  ) {
    super(message)
    this.name = 'ApiError'
  }

  toBody(): ApiErrorBody {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details }
  }
}

/** Map any thrown value to the wire error shape (internal errors keep their message, never a stack). */
export function toErrorBody(e: unknown): ApiErrorBody {
  if (e instanceof ApiError) return e.toBody()
  const message = e instanceof Error ? e.message : String(e)
  return { code: 'internal', message }
}
