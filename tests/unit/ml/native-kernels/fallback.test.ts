// TESSERA_NATIVE_KERNELS=0 forces the portable path: the native kernels are not installed, the backend report says so,
// and a conv still trains on the wasm shims (gradient checked against the cpu backend).
import { describe, expect, it } from 'vitest'
import { describeBackends, useBackend } from '../../../../src-main/ml/backend'
import { nativeStatus, resetNativeStatus } from '../../../../src-main/ml/native-kernels/addon'
import { nativeKernelsInstalled } from '../../../../src-main/ml/native-kernels/index'
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
