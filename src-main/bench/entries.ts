// Every benchmark, by name, loaded lazily inside its own process (see harness.ts).
import type { BenchFn } from './harness'

export const benchEntries: Record<string, () => Promise<BenchFn>> = {
  slides: async () => (await import('./slides')).benchSlides,
  tiles: async () => (await import('./tiles')).benchTiles,
  features: async () => (await import('./features')).benchFeatures,
  ml: async () => (await import('./ml')).benchMl,
  cpu: async () => (await import('./cpu')).benchCpu,
  gpu: async () => (await import('./gpu')).benchGpu,
  eval: async () => (await import('./eval')).benchEval,
  mcm: async () => (await import('./mcm')).benchMcm,
  demo: async () => (await import('./demo')).benchDemo
}
