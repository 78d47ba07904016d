// Worker-thread entry for training replicas: runs the TypeScript replica worker through tsx (no build step).
import { register } from 'tsx/esm/api'

register()
await import('./replica-worker.ts')
