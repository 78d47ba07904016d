// Native fused BatchNorm forward (training mode) on the wasm backend against nn/layers' composite path on the pure-JS cpu
// backend: output and running statistics, on ResNet-18/50 BatchNorm shapes; and independence from the thread count.
import { describe, expect } from 'vitest'
import { nativeStatus } from '../../../../src-main/ml/native-kernels/addon'
import { fusedBatchNormAvailable } from '../../../../src-main/ml/nn/batch-norm-kernels'
import { bnCases, bnStep } from './bn-cases'
import { itNative, maxRelErr } from './conv-cases'

describe('native BatchNorm forward (training) vs cpu backend', () => {
  for (const c of bnCases) {
    itNative(`${c.name}: ${c.shape.join('x')}`, async () => {
      const ref = await bnStep('cpu', c)
      const got = await bnStep('wasm', c)
      expect(ref.fused).toBe(false)
      expect(got.fused).toBe(true)
      expect(maxRelErr(got.y, ref.y)).toBeLessThan(1e-5)
      // the step ran bn three times: running stats after three momentum updates
      expect(maxRelErr(got.runMean, ref.runMean)).toBeLessThan(1e-5)
      expect(maxRelErr(got.runVar, ref.runVar)).toBeLessThan(1e-5)
    })
  }

  itNative('is the default on wasm with the addon; TESSERA_FUSED_BATCHNORM=0 keeps the composite path', async () => {
    const c = bnCases[0] as (typeof bnCases)[number]
    expect((await bnStep('wasm', c)).fused).toBe(true)
    try {
      delete process.env['TESSERA_FUSED_BATCHNORM']
      expect(fusedBatchNormAvailable()).toBe(true)
      for (const off of ['0', 'off', 'false']) {
        process.env['TESSERA_FUSED_BATCHNORM'] = off
        expect(fusedBatchNormAvailable(), off).toBe(false)
      }
    } finally {
      process.env['TESSERA_FUSED_BATCHNORM'] = '1'
    }
  })

  // chunked double sums combined in a fixed order: 1 and 2 threads give the same bits (resume across thread settings)
  itNative('is bit-identical on 1 and 2 threads', async () => {
    const c = bnCases[4] as (typeof bnCases)[number]
    const addon = nativeStatus().addon
    if (!addon) throw new Error('addon missing')
    const before = addon.info().threads
    try {
      addon.setThreads(1)
      const one = await bnStep('wasm', c)
      addon.setThreads(2)
      const two = await bnStep('wasm', c)
      for (const k of ['y', 'dx', 'dGamma', 'dBeta', 'runMean', 'runVar'] as const) {
        expect(Buffer.from(one[k].buffer).equals(Buffer.from(two[k].buffer)), k).toBe(true)
      }
    } finally {
      addon.setThreads(before)
    }
  })
})
