// E2E: the project page's "Teacher features on a SLURM cluster" panel in chromium: write a work folder, read its
// status, import with one task missing (named, with the re-run line), then import complete. The shards run in this
// process (extract-shard), standing in for the cluster; the real SLURM run is tests/integration/cluster/slurm.test.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { chromiumAvailable, collectErrors, launchBrowser, screenshot, serve, type Served } from '../helpers/browser'
import { tempDir } from '../helpers/tmp'
import { writeTestSlide } from '../../src-main/slides/synth/write-test-slide'
import { extractShard } from '../../src-main/cluster/extract-shard'
import { openModelEncoder } from '../../src-main/workers/encoders'
import { FeatureCache } from '../../src-main/store/feature-cache'
import type { Project } from '../../src-shared/domain/types'

const enabled = chromiumAvailable()
const onnxFile = join(__dirname, '..', 'fixtures', 'models', 'tiny-encoder.onnx')

describe.runIf(enabled)('cluster panel in the browser', () => {
  let browser: Browser
  let served: Served
  let page: Page
  let dir: string
  beforeAll(async () => {
    dir = tempDir('cluster-ui-')
    served = await serve(join(dir, 'tessera.db'))
    const project = (await served.core.dispatch('project.create', { name: 'Cluster cohort' })) as Project
    const paths = []
    for (const seed of [1, 2]) {
      const path = join(dir, `s${seed}.tiff`)
      await writeTestSlide({ path, format: 'generic-tiff', width: 640, height: 512, seed, mpp: 0.5 })
      paths.push(path)
    }
    await served.core.dispatch('slide.add', { projectId: project.id, paths })
    await served.core.dispatch('model.import', { file: onnxFile, name: 'tiny', arch: 'onnx', kind: 'teacher', mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25] })
    browser = await launchBrowser()
    page = await (await browser.newContext({ viewport: { width: 1300, height: 1000 } })).newPage()
  })
  afterAll(async () => {
    await browser?.close()
    await served?.stop()
  })

  it('exports a work folder, shows task states, names a missing task on import, then imports it all', async () => {
    const errors = collectErrors(page)
    await page.goto(served.door.openUrl)
    await page.getByTestId('open-Cluster cohort').click()
    const panel = page.getByTestId('cluster-features')
    await panel.waitFor()
    const work = join(dir, 'work')
    await page.getByTestId('cluster-to').fill(work)
    await panel.getByLabel('Shards').fill('2')
    await panel.getByLabel('µm/px').fill('2')
    await panel.getByLabel('Patch px').fill('32')
    await panel.getByLabel('Min tissue').fill('0.1')
    await page.getByTestId('cluster-export').click()
    await expect(page.getByTestId('cluster-submit').textContent()).resolves.toBe(`cd ${work} && sbatch submit.sbatch`)

    const shard = (task: number): ReturnType<typeof extractShard> => extractShard({ dir: work, task, openEncoder: openModelEncoder, provider: 'cpu', threads: 1 })
    await shard(0)
    await page.getByTestId('cluster-status').click()
    await expect.poll(() => page.getByTestId('cluster-task-table').locator('tbody tr').allTextContents(), { timeout: 30_000 }).toEqual([
      expect.stringMatching(/^0complete1\/1/),
      expect.stringMatching(/^1pending0\/1/)
    ])
    await page.getByTestId('cluster-import').click()
    await expect(page.getByTestId('cluster-imported').textContent()).resolves.toMatch(/Import incomplete: 1 slide\(s\) imported.*task 1: no shard manifest/s)
    await expect(page.getByTestId('cluster-rerun').textContent()).resolves.toBe(`sbatch --chdir=${work} --array=1 ${join(work, 'submit.sbatch')}`)
    await screenshot(page, 'cluster-01-import-incomplete')

    await shard(1)
    await page.getByTestId('cluster-import').click()
    await expect.poll(() => page.getByTestId('cluster-imported').textContent(), { timeout: 60_000 }).toMatch(/Import complete: 1 slide\(s\) imported into the feature cache, 1 already cached/)
    expect(new FeatureCache(served.core.db).list({ completeOnly: true })).toHaveLength(2)
    expect(errors).toEqual([])
  })
})
