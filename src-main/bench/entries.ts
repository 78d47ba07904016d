// Every benchmark, by name, loaded lazily inside its own process (see harness.ts).
import type { BenchFn } from './harness'

export const benchEntries: Record<string, () => Promise<BenchFn>> = {}
