// Implausible resolution (issue 17 item 9): a generic TIFF carrying a screen default (37.8 px/cm = 96 dpi, i.e.
// 264.55 µm/px) is flagged "resolution missing or implausible" in slide info and the slide list, a grid is refused
// until an mpp override is set, and a plausible file is not flagged.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { join } from 'node:path'
import { createCore, type Core } from '../../../src-main/core/core'
import { writeTestSlide } from '../../../src-main/slides/synth/write-test-slide'
import type { SlideInfo } from '../../../src-shared/contracts/slides'
import type { Project, Slide } from '../../../src-shared/domain/types'
import { tempDir } from '../../helpers/tmp'

const dir = tempDir('mpp-')
let core: Core
let project: Project
const screen = join(dir, 'screen.tiff')
const scanner = join(dir, 'scanner.tiff')

beforeAll(async () => {
  await writeTestSlide({ path: screen, format: 'generic-tiff', width: 512, height: 384, seed: 5, mpp: 10000 / 37.8 })
  await writeTestSlide({ path: scanner, format: 'generic-tiff', width: 512, height: 384, seed: 6, mpp: 0.5 })
  core = createCore({ dbPath: join(dir, 't.db'), door: 'cli' })
  project = (await core.dispatch('project.create', { name: 'P' })) as Project
})
afterAll(() => core?.close())

describe('implausible level-0 resolution', () => {
  it('is flagged in slide info, not for a plausible file', async () => {
    const bad = (await core.dispatch('slide.info', { path: screen })) as SlideInfo
    expect(bad.mppX).toBeCloseTo(264.55, 1)
    expect(bad.resolutionProblem).toMatch(/^resolution missing or implausible: the file says 264\.55 µm\/px, outside 0\.05–20 µm\/px .*set an mpp override$/)
    expect(((await core.dispatch('slide.info', { path: scanner })) as SlideInfo).resolutionProblem).toBeNull()
  })

  it('is flagged in the slide list, refuses a grid, and clears with an override', async () => {
    await core.dispatch('slide.add', { projectId: project.id, paths: [screen, scanner] })
    const slides = (await core.dispatch('slide.list', { projectId: project.id })) as Slide[]
    const bad = slides.find((s) => s.name === 'screen') as Slide
    expect(bad.resolutionProblem).toMatch(/implausible/)
    expect(slides.find((s) => s.name === 'scanner')?.resolutionProblem).toBeNull()
    await expect(core.dispatch('slide.grid', { id: bad.id, targetMpp: 1, patchSize: 32 })).rejects.toThrow(/screen\.tiff: resolution missing or implausible: the file says 264\.55 µm\/px/)
    const fixed = (await core.dispatch('slide.setMppOverride', { id: bad.id, mpp: 0.5 })) as Slide
    expect(fixed.resolutionProblem).toBeNull()
    const grid = (await core.dispatch('slide.grid', { id: bad.id, targetMpp: 1, patchSize: 32 })) as { count: number }
    expect(grid.count).toBeGreaterThan(0)
  })
})
