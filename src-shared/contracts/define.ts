// Helpers to declare an API method: a runtime request schema (zod) plus a compile-time reply type.
import type { z } from 'zod'

/** One API method: `request` validates input at runtime; `reply` is a phantom type only. */
export interface MethodSpec<Req extends z.ZodType, Reply> {
  readonly request: Req
  readonly reply?: Reply
  readonly summary: string
}

/** Declare a method whose reply type is `Reply`. Usage: `method<Project>()(schema, 'summary')`. */
export function method<Reply>() {
  return <Req extends z.ZodType>(request: Req, summary: string): MethodSpec<Req, Reply> => ({ request, summary })
}
