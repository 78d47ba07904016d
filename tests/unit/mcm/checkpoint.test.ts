// Atomic checkpoint generations: two kept, corrupt latest falls back with a notice, mismatches never load, staging cleaned.
import { appendFileSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { cleanStaging, loadLatestCheckpoint, packTensors, saveCheckpoint, unpackTensors } from '../../../src-main/ml/mcm/checkpoint'
import { tempDir } from '../../helpers/tmp'

const parts = (step: number): Record<string, string | Uint8Array> => ({ 'state.json': JSON.stringify({ step }), 'w.bin': new Uint8Array([step, 1, 2, 3]) })

describe('checkpoints', () => {
  it('keeps two generations and loads the newest', async () => {
    const dir = tempDir('ck-')
    for (const step of [3, 6, 9]) await saveCheckpoint(dir, step, parts(step))
    expect(readdirSync(dir).sort()).toEqual(['gen-000000006', 'gen-000000009'])
    const ck = loadLatestCheckpoint(dir)
    expect(ck?.step).toBe(9)
    expect(ck?.files['w.bin']?.[0]).toBe(9)
    expect(ck?.notices).toEqual([])
  })

  it('falls back to the previous generation when the latest is corrupt, with a notice', async () => {
    const dir = tempDir('ck-')
    await saveCheckpoint(dir, 3, parts(3))
    await saveCheckpoint(dir, 6, parts(6))
    appendFileSync(join(dir, 'gen-000000006', 'w.bin'), 'x')
    const ck = loadLatestCheckpoint(dir)
    expect(ck?.step).toBe(3)
    expect(ck?.notices.join()).toMatch(/gen-000000006 skipped: w\.bin has 5 bytes/)
  })

  it('refuses to load when every generation fails verification (never a silent restart)', async () => {
    const dir = tempDir('ck-')
    await saveCheckpoint(dir, 3, parts(3))
    writeFileSync(join(dir, 'gen-000000003', 'w.bin'), new Uint8Array([9, 9, 9, 9]))
    expect(() => loadLatestCheckpoint(dir)).toThrow(/no usable checkpoint.*SHA-256 does not match/)
  })

  it('ignores and removes a staging dir left by a killed writer', async () => {
    const dir = tempDir('ck-')
    await saveCheckpoint(dir, 3, parts(3))
    mkdirSync(join(dir, '.staging-6-123-1'))
    writeFileSync(join(dir, '.staging-6-123-1', 'w.bin'), 'partial')
    expect(loadLatestCheckpoint(dir)?.step).toBe(3)
    expect(existsSync(join(dir, '.staging-6-123-1'))).toBe(false)
    expect(cleanStaging(dir)).toEqual([])
  })

  it('a save that cannot be written fails loudly, naming the path (never a silent run without checkpoints)', async () => {
    const dir = tempDir('ck-')
    const blocked = join(dir, 'not-a-dir')
    writeFileSync(blocked, 'a file where the checkpoint folder should be')
    await expect(saveCheckpoint(blocked, 3, parts(3))).rejects.toThrow(/not-a-dir/)
  })

  it('packs tensors losslessly', () => {
    const t = { a: { shape: [2, 2], data: new Float32Array([1.5, -2, Math.PI, 1e-30]) }, b: { shape: [1], data: new Float32Array([NaN]) } }
    const { bin, index } = packTensors(t)
    const back = unpackTensors(Buffer.from(bin), index)
    expect(Array.from(back['a']?.data ?? [])).toEqual(Array.from(t.a.data))
    expect(back['a']?.shape).toEqual([2, 2])
    expect(Number.isNaN(back['b']?.data[0])).toBe(true)
  })
})
