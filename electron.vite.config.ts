// Builds the three parts: main (Electron shell + core + job runner), preload (sandboxed, CommonJS), renderer (Vue).
import { resolve } from 'node:path'
import { defineConfig } from 'electron-vite'
import vue from '@vitejs/plugin-vue'

export default defineConfig({
  main: {
    build: {
      outDir: 'out/main',
      rollupOptions: {
        input: {
          index: resolve(__dirname, 'src-main/app/main.ts'),
          // the job runner is forked as its own process; it must exist as a separate entry next to index.js
          runner: resolve(__dirname, 'src-main/jobs/runner.ts'),
          // the OpenSlide host process (a crash in C stays in it); started next to the bundle like the runner
          host: resolve(__dirname, 'src-main/slides/openslide/host.ts'),
          'backend-probe-main': resolve(__dirname, 'src-main/workers/backend-probe-main.ts'),
          'hdf5-reader-process': resolve(__dirname, 'src-main/interop/hdf5-reader-process.ts'),
          'model-check-main': resolve(__dirname, 'src-main/workers/model-check-main.ts')
        }
      }
    }
  },
  preload: {
    build: {
      outDir: 'out/preload',
      rollupOptions: {
        input: { index: resolve(__dirname, 'src-preload/index.ts') },
        // sandboxed preloads must be a single CommonJS file
        output: { format: 'cjs', entryFileNames: '[name].cjs' }
      }
    }
  },
  renderer: {
    root: 'src-renderer',
    plugins: [vue()],
    build: {
      outDir: 'out/renderer',
      rollupOptions: { input: { index: resolve(__dirname, 'src-renderer/index.html') } }
    }
  }
})
