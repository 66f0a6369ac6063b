// /stats and the home page's "what happened lately" in a real browser (system Chromium, loopback socket): the
// chart scales to a phone, follows the dark theme through CSS alone (the CSP forbids inline styles), and on a
// phone the advisory list starts within the first screen with the filter panel folded. Screenshots go to
// test-output/screenshots/ (stats-desktop, stats-phone, stats-dark, home-phone-lately).
import t, { type Test } from 'tap'
import { mkdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import type { Page } from 'playwright-core'
import { watchedContext } from './helpers/browser.js'
import { projectDir } from './helpers/paths.js'
import { demoSite } from './helpers/demo-site.js'

const screenshotDir = join(projectDir, 'test-output', 'screenshots')
mkdirSync(screenshotDir, { recursive: true })

const { base, browser } = await demoSite(t)
const problems: string[] = []
const desktop = await watchedContext(browser, problems, { baseURL: base, viewport: { width: 1280, height: 900 } })
const phone = await watchedContext(browser, problems, { baseURL: base, viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true })
const dark = await watchedContext(browser, problems, { baseURL: base, viewport: { width: 1280, height: 900 }, colorScheme: 'dark' })

async function shoot (tt: Test, page: Page, name: string, fullPage = true): Promise<void> {
  const file = join(screenshotDir, `${name}.png`)
  await page.screenshot({ path: file, fullPage })
  tt.ok(statSync(file).size > 10_000, `${name}.png is written`)
}

/** The chart's computed colours: its text, the first product's line, and the page background. */
async function chartColours (page: Page): Promise<{ text: string, line: string, body: string, background: string }> {
  return await page.evaluate(() => {
    const style = (selector: string): CSSStyleDeclaration => getComputedStyle(document.querySelector(selector)!)
    return { text: style('svg.chart-lines .x-labels .year').fill, line: style('svg.chart-lines .series .line').stroke, body: style('body').color, background: style('body').backgroundColor }
  })
}

t.test('/stats on a desktop: the chart, its text alternative and the table', async (t) => {
  const page = await desktop.newPage()
  t.equal((await page.goto('/stats'))?.status(), 200)
  const chart = page.locator('svg.chart-lines')
  t.ok(await chart.isVisible(), 'the chart is drawn')
  t.equal(await chart.getAttribute('role'), 'img')
  t.equal(await page.getByRole('img', { name: /^Distinct CVEs fixed per month by product, / }).count(), 1, 'the chart is an image named by its title')
  t.same(await page.locator('.chart-legend li').allInnerTexts(), ['Bottlerocket'], 'the legend names the products drawn')
  t.equal(await page.locator('svg.chart-lines .series .marker').count(), 2, 'a marker per month with a CVE')
  t.equal(await page.getByRole('table', { name: 'Distinct CVEs fixed per product and month' }).locator('tbody tr').count(), 12, 'the table: a row per month')
  const box = await chart.boundingBox()
  t.ok(box !== null && box.width > 600 && box.height > 200, `the chart is large enough to read (${Math.round(box?.width ?? 0)}×${Math.round(box?.height ?? 0)})`)
  const colours = await chartColours(page)
  t.equal(colours.text, colours.body, 'chart text takes the page\'s text colour')
  await shoot(t, page, 'stats-desktop')
  await page.close()
})

t.test('/stats on a phone: the chart scales to the screen and its labels stay readable', async (t) => {
  const page = await phone.newPage()
  t.equal((await page.goto('/stats'))?.status(), 200)
  const widths = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, inner: window.innerWidth }))
  t.ok(widths.scroll <= widths.inner, `no sideways scrolling (${widths.scroll} <= ${widths.inner})`)
  const fit = await page.locator('svg.chart-lines').evaluate((svg) => ({ svg: svg.getBoundingClientRect().width, figure: svg.parentElement!.getBoundingClientRect().width }))
  t.equal(fit.svg, fit.figure, `the SVG fills its figure (${fit.svg}px)`)
  const label = await page.locator('svg.chart-lines .x-labels text:not(.minor)').first().evaluate((el) => ({ size: getComputedStyle(el).fontSize, height: el.getBoundingClientRect().height }))
  t.equal(label.size, '20px', 'larger text in the viewBox on a narrow screen')
  t.ok(label.height >= 10, `month labels are at least 10 px tall on screen (${label.height.toFixed(1)})`)
  t.equal(await page.locator('svg.chart-lines .x-labels text.minor').first().isVisible(), false, 'every other month label is left out')
  await shoot(t, page, 'stats-phone')
  await page.close()
})

t.test('/stats in the dark theme: the same chart, lighter colours', async (t) => {
  const light = await desktop.newPage()
  await light.goto('/stats')
  const lightColours = await chartColours(light)
  await light.close()
  const page = await dark.newPage()
  t.equal((await page.goto('/stats'))?.status(), 200)
  t.equal(await page.evaluate(() => matchMedia('(prefers-color-scheme: dark)').matches), true, 'dark mode is on')
  const colours = await chartColours(page)
  t.equal(colours.text, colours.body, 'chart text takes the dark page\'s text colour')
  t.not(colours.text, lightColours.text, 'which is not the light theme\'s')
  t.not(colours.line, lightColours.line, 'the product\'s line takes the dark palette')
  t.not(colours.background, lightColours.background)
  await shoot(t, page, 'stats-dark')
  await page.close()
})

t.test('the home page on a phone: the summary, then the list within the first screen', async (t) => {
  const page = await phone.newPage()
  t.equal((await page.goto('/'))?.status(), 200)
  t.equal(await page.getByRole('heading', { name: 'What happened lately' }).count(), 1)
  t.ok(await page.locator('svg.chart-weeks').isVisible(), 'the weekly chart is drawn')
  const panel = page.locator('details.filter-panel')
  t.equal(await panel.getAttribute('open'), null, 'the filter panel is folded')
  t.equal(await page.locator('#severity, form.filters input[name="severity"]').first().isVisible(), false, 'its fields are hidden')
  const firstRow = await page.locator('table.advisories tbody tr').first().boundingBox()
  const height = page.viewportSize()!.height
  t.ok(firstRow !== null && firstRow.y < height, `the first advisory starts within the first screen (top ${Math.round(firstRow?.y ?? -1)} < ${height})`)
  const widths = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, inner: window.innerWidth }))
  t.ok(widths.scroll <= widths.inner, `no sideways scrolling (${widths.scroll} <= ${widths.inner})`)
  await shoot(t, page, 'home-phone-lately', false)
  await page.locator('details.filter-panel > summary').click()
  t.ok(await page.getByLabel('Important', { exact: true }).isVisible(), 'one tap opens the filters')
  await page.close()
})

t.test('no console error, CSP violation or failed request on any page', async (t) => {
  t.same(problems, [])
})
