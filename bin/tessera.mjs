#!/usr/bin/env node
// Entry of the `tessera` CLI: runs the TypeScript sources through tsx (no build step needed).
import { register } from 'tsx/esm/api'

register()
const { main } = await import('../src-main/cli/main.ts')
const code = await main(process.argv.slice(2))
process.exitCode = code
