// TESSERA_NATIVE_KERNELS=0 forces the portable path: the native kernels are not installed, the backend report says so,
// and a conv still trains on the wasm shims (gradient checked against the cpu backend).
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { tempDir } from '../../../helpers/tmp'
import { describeBackends, useBackend } from '../../../../src-main/ml/backend'
import { nativeStatus, resetNativeStatus } from '../../../../src-main/ml/native-kernels/addon'
import { nativeKernelsInstalled } from '../../../../src-main/ml/native-kernels/index'
import { ADAMW_KERNEL, fusedOptimizerKernel, SUM_SQUARES_KERNEL } from '../../../../src-main/ml/mcm/optimizer-kernels'
import { convCases, convResult, maxRelErr } from './conv-cases'

describe('native kernels switched off', () => {
  it('falls back to the wasm shims and reports it', async () => {
    const before = process.env['TESSERA_NATIVE_KERNELS']
    process.env['TESSERA_NATIVE_KERNELS'] = '0'
    resetNativeStatus()
    try {
      expect(nativeStatus().available).toBe(false)
      const report = await describeBackends({ force: 'wasm' })
      const wasm = report.found.find((f) => f.backend === 'wasm')
      expect(wasm?.reason).toContain('switched off (TESSERA_NATIVE_KERNELS=0)')
      expect(wasm?.reason).toContain('convolutions on the wasm shims')
      await useBackend('wasm')
      expect(nativeKernelsInstalled()).toBe(false)
      // the optimizer keeps its op-by-op path
      expect(fusedOptimizerKernel(ADAMW_KERNEL) || fusedOptimizerKernel(SUM_SQUARES_KERNEL)).toBe(false)
      const c = convCases[2] as (typeof convCases)[number]
      const ref = await convResult('cpu', c, 'dw')
      const got = await convResult('wasm', c, 'dw')
      expect(maxRelErr(got, ref)).toBeLessThan(1e-5)
    } finally {
      if (before === undefined) delete process.env['TESSERA_NATIVE_KERNELS']
      else process.env['TESSERA_NATIVE_KERNELS'] = before
      resetNativeStatus()
    }
  })
})

describe('native addon built from older sources', () => {
  it('is not used (no half-native kernel set that fails at the first step), and the report says to rebuild it', () => {
    const before = process.env['TESSERA_NATIVE_ADDON']
    const switchBefore = process.env['TESSERA_NATIVE_KERNELS']
    delete process.env['TESSERA_NATIVE_KERNELS'] // the suite may run with the kernels switched off (forced-fallback run)
    // an addon that predates the MaxPool, BatchNorm and optimizer entries
    const file = join(tempDir('stale-addon-'), 'tessera_dnnl.cjs')
    writeFileSync(file, 'module.exports = { convForward() {}, convBackwardData() {}, convBackwardWeights() {}, setThreads() {}, info() { return { oneDnnVersion: "2.6", threads: 1, processors: 1, cpuIsa: 7 } } }\n')
    process.env['TESSERA_NATIVE_ADDON'] = file
    resetNativeStatus()
    try {
      const s = nativeStatus()
      expect(s.available).toBe(false)
      expect(s.addon).toBeNull()
      expect(s.reason).toContain(`native addon ${file} is older than the sources (it has no maxPoolGrad, batchNormForward, batchNormBackward, adamwUpdate, sumSquares)`)
      expect(s.reason).toContain('npm run build:native')
    } finally {
      if (before === undefined) delete process.env['TESSERA_NATIVE_ADDON']
      else process.env['TESSERA_NATIVE_ADDON'] = before
      if (switchBefore !== undefined) process.env['TESSERA_NATIVE_KERNELS'] = switchBefore
      resetNativeStatus()
    }
  })
})
