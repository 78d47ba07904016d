// E2E: the run-inspection and evaluation overlays on a real pipeline result. The database comes from the main job's
// own pipeline: `tessera demo --smoke` (every step of the README's main command, with small models: ~4 min on 2 idle
// cores; the full pre-registered design is ~15 min and is run by hand, README) runs here into a temporary database
// and cache, so CI also proves the demo pipeline works on a fresh clone, and checks that the truth probe and the
// per-patch KD control reach report.json. TESSERA_UI_DEMO_DB=<file> reuses a database written earlier by
// `tessera demo --db <file>` instead.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { tempDir } from '../helpers/tmp'
import type { Browser, Page } from 'playwright-core'
import { chromiumAvailable, collectErrors, launchBrowser, recordForeignRequests, screenshot, serve, type Served } from '../helpers/browser'
import { level0ToElement, waitGrid, waitViewerReady, type PageGlobals } from './ui/viewer-probes'
import type { McmInspection, McmRun } from '../../src-shared/contracts/train'
import type { Slide, Job, Project } from '../../src-shared/domain/types'

const given = process.env['TESSERA_UI_DEMO_DB'] ?? ''
if (given !== '' && !existsSync(given)) throw new Error(`TESSERA_UI_DEMO_DB=${given} does not exist`)
const enabled = chromiumAvailable()
let demoDb = given

/** Run the main job into a scratch database and cache; fails the suite with the job's own error output. */
async function runDemo(): Promise<string> {
  const dir = tempDir('demo-e2e-')
  const db = join(dir, 'demo.db')
  // asynchronous: a worker blocked for minutes would miss vitest's own heartbeats
  const child = spawn(process.execPath, ['--max-old-space-size=4096', 'bin/tessera.mjs', '--db', db, 'demo', '--smoke', '--out', join(dir, 'out'), '--json'], {
    env: { ...process.env, TESSERA_DEMO_CACHE: join(dir, 'cache') },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (b: Buffer) => (stdout += b.toString()))
  child.stderr.on('data', (b: Buffer) => (stderr = (stderr + b.toString()).slice(-20_000)))
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)))
  if (code !== 0) throw new Error(`tessera demo failed (exit ${code}): ${stderr.slice(-2000)}`)
  const summary = JSON.parse(stdout) as {
    report: { models: { role: string; auc_mean: number }[]; finetune: { truth_probe?: { r2_before: number; r2_after: number } | null; patch_kd?: { truth_probe_r2_after?: number | null } | null; preregistration_sha256?: string | null } }
    cacheHits: string[]
  }
  // the read-outs the pre-registered endpoints need are computed on every run (smoke: no pre-registration hash)
  const ft = summary.report.finetune
  expect(Number.isFinite(ft.truth_probe?.r2_before) && Number.isFinite(ft.truth_probe?.r2_after)).toBe(true)
  expect(Number.isFinite(ft.patch_kd?.truth_probe_r2_after)).toBe(true)
  expect(ft.preregistration_sha256 ?? null).toBeNull()
  // the main job's outputs as the README promises them
  for (const f of ['report.html', 'report.json', 'model/manifest.json', 'features']) expect(existsSync(join(dir, 'out', f)), f).toBe(true)
  expect(summary.report.models.map((m) => m.role).sort()).toEqual(['baseline', 'finetuned', 'teacher'])
  return db
}

/** Fraction of overlay-canvas pixels (sampled) that are painted. */
async function paintedFraction(page: Page): Promise<number> {
  return page.evaluate(() => {
    const g = globalThis as unknown as PageGlobals
    g.tesseraViewer!.session.overlays.draw() // toggles redraw on the next animation frame: draw now
    const c = g.document.querySelector('[data-testid="overlay-canvas"]')!
    const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data
    let n = 0
    for (let i = 3; i < d.length; i += 64) if (d[i]! > 0) n++
    return n / (d.length / 64)
  })
}

describe.runIf(enabled)('overlays on the demo pipeline result', () => {
  let browser: Browser
  let served: Served
  let page: Page
  let errors: string[]
  let foreign: string[]
  beforeAll(async () => {
    if (!demoDb) demoDb = await runDemo()
    served = await serve(demoDb)
    browser = await launchBrowser()
    page = await (await browser.newContext({ viewport: { width: 1400, height: 900 } })).newPage()
    errors = collectErrors(page)
    foreign = recordForeignRequests(page, served.door.url)
    await page.goto(served.door.openUrl)
  }, 900_000)
  afterAll(async () => {
    await browser?.close()
    await served?.stop()
  })

  it('shows masked-prediction cosines and the error map of the MCM+KD run on a slide it inspected', async () => {
    const d = served.core.dispatch
    const runs = (await d('run.list', {})) as McmRun[]
    const run = runs.find((r) => r.status === 'succeeded')!
    expect(run, 'the demo database has a finished MCM+KD run').toBeTruthy()
    const inspection = (await d('run.inspection', { id: run.id })) as McmInspection
    const slides = (await d('slide.list', { projectId: run.projectId })) as Slide[]
    const win = inspection.windows.find((w) => slides.some((s) => s.name === w.slide))!
    expect(win, 'an inspected window lies on a project slide').toBeTruthy()
    const slide = slides.find((s) => s.name === win.slide)!
    await page.evaluate((pid) => (globalThis as unknown as { localStorage: { setItem(k: string, v: string): void } }).localStorage.setItem('tessera.currentProject', String(pid)), run.projectId)
    await page.goto(`${served.door.url}/?drawer=canvas#/viewer/${slide.id}`)
    await waitViewerReady(page)
    // the run's grid: the viewer's grid form takes the run's parameters
    await page.getByTestId('grid-mpp').fill(String(run.config.grid.targetMpp))
    await page.getByTestId('grid-patch').fill(String(run.config.grid.patchSize))
    await page.getByTestId('grid-apply').click()
    const grid = await waitGrid(page)
    await page.getByTestId('viewer-run').selectOption(String(run.id))
    await page.getByTestId('toggle-window').uncheck()
    await page.getByTestId('toggle-masked').check()
    expect(await paintedFraction(page)).toBeGreaterThan(0)
    // hover a masked cell: the readout shows its cosine before → after
    const i = win.mask.findIndex((m, k) => m && win.cosineAfter[k] !== null)
    const col = win.col + (i % win.size)
    const row = win.row + Math.floor(i / win.size)
    const centre = await level0ToElement(page, (col + 0.5) * grid.step, (row + 0.5) * grid.step)
    const box = (await page.getByTestId('overlay-canvas').boundingBox())!
    await page.mouse.move(box.x + centre.x, box.y + centre.y)
    await expect.poll(() => page.getByTestId('masked-values').textContent()).toContain(`after ${win.cosineAfter[i]!.toFixed(3)}`)
    await screenshot(page, 'ui-demo-01-masked-prediction')
    await page.getByTestId('toggle-masked').uncheck()
    if (inspection.errorMaps.some((m) => m.slide === slide.name)) {
      await page.getByTestId('toggle-error').check()
      expect(await paintedFraction(page)).toBeGreaterThan(0.01)
      await screenshot(page, 'ui-demo-02-error-map')
      await page.getByTestId('toggle-error').uncheck()
    }
  })

  it('opens a slide attention heatmap from the evaluation view', async () => {
    const d = served.core.dispatch
    const projects = (await d('project.list', {})) as Project[]
    const jobs = (await d('job.list', { kind: 'eval.mil' })) as Job[]
    const job = jobs.find((j) => j.status === 'succeeded')!
    expect(job, 'the demo database has a finished evaluation').toBeTruthy()
    expect(projects.some((p) => p.id === job.projectId)).toBe(true)
    await page.goto(`${served.door.url}/?drawer=canvas#/evaluation`)
    await page.getByTestId('eval-jobs').waitFor()
    await page.getByTestId('eval-jobs').getByRole('row', { name: new RegExp(`#${job.id}\\b`) }).getByRole('button', { name: 'Report' }).click()
    await page.getByTestId('eval-report').waitFor()
    await screenshot(page, 'ui-demo-03-evaluation-report')
    await page.getByTestId('eval-slides').getByRole('button', { name: 'Heatmap' }).first().click()
    await waitViewerReady(page)
    await expect.poll(() => page.getByTestId('toggle-attention').isChecked(), { timeout: 30_000 }).toBe(true)
    expect(await paintedFraction(page)).toBeGreaterThan(0.01)
    await screenshot(page, 'ui-demo-04-attention')
  })

  it('made no foreign request and logged no page errors', () => {
    expect(foreign).toEqual([])
    expect(errors).toEqual([])
  })
})
