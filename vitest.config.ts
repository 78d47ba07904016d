// Test configuration: unit + integration under Node, e2e drives Debian chromium (see tests/e2e).
import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    environment: 'node',
    include: ['tests/**/*.test.ts'],
    // 2 cores, browser tests and child processes: files run one after another
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 180_000,
    globalSetup: ['tests/helpers/global-setup.ts']
  }
})
