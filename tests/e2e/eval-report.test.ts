// E2E: the self-contained evaluation report opens in chromium from a file, with its table and inline-SVG plots
// visible and no network request (screenshot in test-results/eval-report.png).
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildReport, type ModelEvaluation } from '../../src-main/eval/report'
import { renderReportHtml } from '../../src-main/eval/report-html'
import { mulberry32, randNormal } from '../../src-main/eval/rng'
import { chromiumAvailable, collectErrors, launchBrowser, screenshot } from '../helpers/browser'
import { tempDir } from '../helpers/tmp'

/** Out-of-fold predictions of a model whose scores separate the classes by `shift` (no training needed here). */
function model(name: string, role: ModelEvaluation['role'], shift: number, seed: number): ModelEvaluation {
  const rng = mulberry32(seed)
  const n = 60
  const labels = Int32Array.from({ length: n }, (_, i) => i % 2)
  const probs = new Float64Array(n * 2)
  for (let i = 0; i < n; i++) {
    const p = 1 / (1 + Math.exp(-(randNormal(rng) + (labels[i] === 1 ? shift : -shift))))
    probs[i * 2] = 1 - p
    probs[i * 2 + 1] = p
  }
  const foldOf = Array.from({ length: n }, (_, i) => i % 5)
  const folds = [0, 1, 2, 3, 4].map((f) => ({ fold: f, auc: 0.7 + shift / 10 + f / 100, balanced_accuracy: 0.7, f1: 0.7, n_test: 12, n_train: 38, n_validation: 10, best_epoch: 5, epochs_run: 12 }))
  return { name, role, features: 'synthetic', dim: 64, oof: { labels, probs, classes: 2 }, foldOf, folds, aggregatorParameters: 12_000, seconds: 1, parameters: 1e6, gflops_per_patch: 0.5, patches_per_s: 300 }
}

describe.runIf(chromiumAvailable())('evaluation report in the browser', () => {
  let browser: Browser
  beforeAll(async () => {
    browser = await launchBrowser()
  })
  afterAll(async () => {
    await browser?.close()
  })

  it('shows the model table, ROC curves and the loss curve offline', async () => {
    const report = buildReport({
      project: 'Synthetic cohort',
      aggregator: 'abmil',
      seed: 1,
      foldsK: 5,
      splitMethod: 'patient-level stratified k-fold (seeded)',
      classes: ['normal', 'tumor'],
      nPatients: 60,
      models: [model('student', 'baseline', 0.5, 1), model('student-mcm', 'finetuned', 1.2, 2), model('teacher', 'teacher', 1.5, 3)],
      finetune: {
        run_id: 7,
        masked_l1_before: 0.42,
        masked_l1_after: 0.31,
        masked_l1_control: 0.38,
        masked_l1_visible_mean: 0.5,
        epochs: 1,
        backend: 'wasm',
        train_images_per_s: null,
        loss_curve: Array.from({ length: 50 }, (_, i) => ({ step: i, loss: 0.5 * Math.exp(-i / 20) + 0.3 }))
      },
      timings: { cv_student: 12.5, statistics: 0.4 },
      bootstrapResamples: 300
    })
    const file = join(tempDir('eval-html-'), 'report.html')
    writeFileSync(file, renderReportHtml(report))
    const page = await browser.newPage({ viewport: { width: 1200, height: 1400 } })
    const errors = collectErrors(page)
    const requests: string[] = []
    page.on('request', (r) => {
      if (!r.url().startsWith('file:')) requests.push(r.url())
    })
    await page.goto(pathToFileURL(file).href)
    await page.locator('table.models').waitFor()
    expect(await page.locator('table.models tbody tr').count()).toBe(3)
    await expect(page.locator('table.models').textContent()).resolves.toContain('student-mcm')
    expect(await page.locator('svg.roc').isVisible()).toBe(true)
    expect(await page.locator('svg.roc polyline').count()).toBe(3)
    expect(await page.locator('svg.loss').isVisible()).toBe(true)
    expect(await page.locator('table.comparisons tbody tr').count()).toBe(3)
    await screenshot(page, 'eval-report')
    expect(requests).toEqual([])
    expect(errors).toEqual([])
    await page.close()
  })
})
