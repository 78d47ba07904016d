// E2E: create a project through the UI in chromium; it is still listed after a server restart (SQLite).
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { join } from 'node:path'
import type { Browser } from 'playwright-core'
import { chromiumAvailable, collectErrors, launchBrowser, recordForeignRequests, screenshot, serve } from '../helpers/browser'
import { tempDir } from '../helpers/tmp'

const enabled = chromiumAvailable()

describe.runIf(enabled)('projects in the browser', () => {
  let browser: Browser
  beforeAll(async () => {
    browser = await launchBrowser()
  })
  afterAll(async () => {
    await browser?.close()
  })

  it('creates a project that survives a server restart', async () => {
    const dbPath = join(tempDir('e2e-'), 'tessera.db')
    let served = await serve(dbPath)
    const context = await browser.newContext()
    let page = await context.newPage()
    const errors = collectErrors(page)
    const foreign = recordForeignRequests(page, served.door.url)
    await page.goto(served.door.openUrl)
    await page.getByTestId('new-project-name').fill('Colon cohort A')
    await page.getByTestId('create-project').click()
    await page.getByTestId('project-row').filter({ hasText: 'Colon cohort A' }).waitFor()
    await expect(page.getByTestId('current-project').textContent()).resolves.toContain('Colon cohort A')
    await screenshot(page, 'foundation-01-project-created')

    // a duplicate name is refused with the core's message, and nothing is added
    await page.getByTestId('new-project-name').fill('Colon cohort A')
    await page.getByTestId('create-project').click()
    await expect(page.getByTestId('form-error').textContent()).resolves.toContain('already exists')
    expect(await page.getByTestId('project-row').count()).toBe(1)

    await page.close()
    await served.stop()

    // restart: new core, new token, same database file
    served = await serve(dbPath)
    page = await context.newPage()
    errors.push(...collectErrors(page))
    foreign.push(...recordForeignRequests(page, served.door.url))
    await page.goto(served.door.openUrl)
    await page.getByTestId('project-row').filter({ hasText: 'Colon cohort A' }).waitFor()
    await screenshot(page, 'foundation-02-after-restart')
    expect(await page.getByTestId('project-row').count()).toBe(1)
    await served.stop()
    await context.close()

    // the refused duplicate is an HTTP 409, which chromium logs as a failed resource load: expected
    expect(errors.filter((e) => !e.includes('status of 409'))).toEqual([])
    expect(foreign).toEqual([])
  })
})
