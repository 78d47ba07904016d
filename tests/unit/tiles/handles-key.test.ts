// Open-handle cache (reference-counted close on eviction), content keys, and level choice with scanner downsamples.
import { describe, expect, it } from 'vitest'
import { writeFileSync, appendFileSync } from 'node:fs'
import { join } from 'node:path'
import { SlideHandles } from '../../../src-main/slides/service/handles'
import { contentKey, HEAD_TAIL_BYTES } from '../../../src-main/slides/service/content-key'
import { levelForScale } from '../../../src-main/tiles/deep-zoom'
import { tempDir } from '../../helpers/tmp'
import { FakeSlide } from './fake-slide'

describe('SlideHandles', () => {
  it('reuses open handles and closes evicted ones only when no caller uses them', async () => {
    const opened: FakeSlide[] = []
    const handles = new SlideHandles(async (path) => {
      const s = await FakeSlide.create({ width: 300, height: 200, levels: 1, path })
      opened.push(s)
      return s
    }, 2)
    await handles.with('/a', async () => undefined)
    await handles.with('/a', async () => undefined)
    expect(opened).toHaveLength(1)
    let release!: () => void
    const busy = handles.with('/b', () => new Promise<void>((r) => (release = r)))
    await new Promise((r) => setTimeout(r, 5))
    await handles.with('/c', async () => undefined) // evicts /a (idle): closed now
    expect(opened[0]?.closed).toBe(true)
    await handles.with('/d', async () => undefined) // evicts /b, which is busy: stays open
    const b = opened.find((s) => s.path === '/b')!
    expect(b.closed).toBe(false)
    release()
    await busy
    expect(b.closed).toBe(true)
    await handles.closeAll()
    expect(opened.every((s) => s.closed)).toBe(true)
  })

  it('does not cache a failed open', async () => {
    let calls = 0
    const handles = new SlideHandles(async () => {
      calls++
      throw new Error('corrupt')
    })
    await expect(handles.with('/x', async () => 1)).rejects.toThrow('corrupt')
    await expect(handles.with('/x', async () => 1)).rejects.toThrow('corrupt')
    expect(calls).toBe(2)
  })
})

describe('contentKey', () => {
  it('is stable, and changes with the head, the tail, the size and the metadata', async () => {
    const dir = tempDir('ck-')
    const f = join(dir, 's.tif')
    const body = Buffer.alloc(3 * HEAD_TAIL_BYTES, 7)
    writeFileSync(f, body)
    const meta = (await FakeSlide.create({ width: 64, height: 64, levels: 1 })).metadata
    const k1 = await contentKey(f, meta)
    expect(await contentKey(f, meta)).toBe(k1)
    expect(await contentKey(f, { ...meta, mppX: 0.3 })).not.toBe(k1)
    body[10] = 1
    writeFileSync(f, body)
    const k2 = await contentKey(f, meta)
    expect(k2).not.toBe(k1)
    body[body.length - 5] = 1
    writeFileSync(f, body)
    const k3 = await contentKey(f, meta)
    expect(k3).not.toBe(k2)
    appendFileSync(f, Buffer.from([0]))
    expect(await contentKey(f, meta)).not.toBe(k3)
  })
})

describe('levelForScale', () => {
  it('accepts a level whose downsample is a hair above the nominal one (scanner rounding)', async () => {
    const meta = (await FakeSlide.create({ width: 64, height: 64, levels: 1 })).metadata
    const levels = [
      { width: 40000, height: 30000, downsample: 1, tileWidth: 256, tileHeight: 256 },
      { width: 9999, height: 7499, downsample: 4.000385, tileWidth: 256, tileHeight: 256 },
      { width: 2499, height: 1874, downsample: 16.0064, tileWidth: 256, tileHeight: 256 }
    ]
    const m = { ...meta, width: 40000, height: 30000, levels }
    expect(levelForScale(m, 4)).toBe(1)
    expect(levelForScale(m, 8)).toBe(1)
    expect(levelForScale(m, 16)).toBe(2)
    expect(levelForScale(m, 3.9)).toBe(0)
  })
})
