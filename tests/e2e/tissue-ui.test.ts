// E2E of the tissue controls of the slides view in chromium: the project's tissue method (select), each slide's mask
// coverage (Measure), and a QuPath GeoJSON annotation imported per slide from a file picker; a bad file is refused
// naming it and nothing else changes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { chromiumAvailable, collectErrors, launchBrowser, recordForeignRequests, screenshot, serve, type Served } from '../helpers/browser'
import { tempDir } from '../helpers/tmp'
import { writeTestSlide } from '../../src-main/slides/synth/write-test-slide'
import type { Project } from '../../src-shared/domain/types'

const enabled = chromiumAvailable()

/** One QuPath-style annotation: a level-0 rectangle. */
const geojson = (x0: number, y0: number, x1: number, y1: number): string =>
  JSON.stringify({
    type: 'FeatureCollection',
    features: [{ type: 'Feature', geometry: { type: 'Polygon', coordinates: [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]] }, properties: { objectType: 'annotation' } }]
  })

describe.runIf(enabled)('tissue controls in the slides view', () => {
  let browser: Browser
  let page: Page
  let served: Served
  let errors: string[]
  let foreign: string[]
  let slidesDir: string

  beforeAll(async () => {
    const dir = tempDir('tissue-ui-')
    slidesDir = join(dir, 'slides')
    mkdirSync(slidesDir)
    await writeTestSlide({ path: join(slidesDir, 'ihc.tiff'), format: 'generic-tiff', width: 1536, height: 1024, seed: 7, mpp: 0.5, stain: 'ihc' })
    served = await serve(join(dir, 'tessera.db'))
    browser = await launchBrowser()
    page = await (await browser.newContext({ viewport: { width: 1400, height: 900 } })).newPage()
    errors = collectErrors(page)
    foreign = recordForeignRequests(page, served.door.url)
    await page.goto(served.door.openUrl)
  })

  afterAll(async () => {
    await browser?.close()
    await served?.stop()
  })

  it('sets the project method, measures coverage, imports a GeoJSON per slide and refuses a bad one', { timeout: 120_000 }, async () => {
    await page.getByTestId('new-project-name').fill('IHC cohort')
    await page.getByTestId('create-project').click()
    await page.getByTestId('project-slides').waitFor()
    await page.getByTestId('slide-paths').fill(slidesDir)
    await page.getByTestId('add-slides').click()
    await expect.poll(() => page.getByTestId('slide-row').count(), { timeout: 60_000 }).toBe(1)
    const cell = page.getByTestId('tissue-ihc')

    // the project's method: the select shows the default, a change reaches the core and the row offers a new measure
    await expect(page.getByTestId('tissue-method').inputValue()).resolves.toBe('combined')
    await page.getByTestId('tissue-method').selectOption('otsu-grey')
    await expect.poll(async () => ((await served.core.dispatch('project.list', {})) as Project[])[0]?.tissue?.method).toBe('otsu-grey')
    await page.getByTestId('measure-ihc').click()
    await expect.poll(() => cell.textContent(), { timeout: 60_000 }).toMatch(/\d+\.\d %\s*otsu-grey/)
    await expect(page.getByTestId('measure-ihc').count()).resolves.toBe(0) // measured under the project's method

    // GeoJSON from the file picker: level-0 rectangle 256..768 × 256..512 of 1536 × 1024 = 8.3 %
    await page.getByTestId('tissue-method').selectOption('geojson')
    await page.getByTestId('tissue-geojson-ihc').setInputFiles({ name: 'qupath-ihc.geojson', mimeType: 'application/geo+json', buffer: Buffer.from(geojson(256, 256, 768, 512)) })
    await expect(page.getByTestId('tissue-import-result').textContent()).resolves.toMatch(/ihc: 1 polygon imported from qupath-ihc\.geojson; the annotation covers 8\.3 % of the slide/)
    await expect.poll(() => cell.textContent(), { timeout: 30_000 }).toMatch(/8\.3 %\s*geojson/)
    await screenshot(page, 'tissue-01-geojson-imported')

    // a file with no polygon is refused naming it; the stored annotation stays
    await page.getByTestId('tissue-geojson-ihc').setInputFiles({ name: 'empty.geojson', mimeType: 'application/geo+json', buffer: Buffer.from('{"type":"FeatureCollection","features":[]}') })
    await expect(page.getByTestId('slide-edit-error').textContent()).resolves.toMatch(/empty\.geojson: holds no Polygon/)
    await expect(cell.textContent()).resolves.toMatch(/8\.3 %\s*geojson/)
    await screenshot(page, 'tissue-02-bad-geojson')

    // the refused import is an HTTP 400, which chromium logs as a failed resource load: expected
    expect(errors.filter((e) => !e.includes('status of 400'))).toEqual([])
    expect(foreign).toEqual([])
  })
})
