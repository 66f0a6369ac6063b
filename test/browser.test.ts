// The portal in a real browser (system Chromium, loopback socket): filters, search and the advisory,
// CVE and package pages work by mouse and keyboard, at desktop and phone width, with no CSP or load error.
import t from 'tap'
import { mkdirSync, statSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import type { Page } from 'playwright-core'
import { loadJsonConfig } from '../ingest/config.js'
import { runIngest } from '../ingest/run.js'
import { buildApp } from '../server/app.js'
import { launchChromium, navigation, watchedContext } from './helpers/browser.js'
import { projectDir, tempDir } from './helpers/paths.js'

const screenshotDir = join(projectDir, 'test-output', 'screenshots')
const advisoryPath = '/amzn2/ALAS2-2018-939'
const cvePath = '/cve/CVE-2017-5715'

const texts = async (page: Page, selector: string): Promise<string[]> =>
  (await page.locator(selector).allInnerTexts()).map((s) => s.trim())

const dbPath = join(tempDir(t), 'db.sqlite')
await runIngest({ dbPath, repos: loadJsonConfig(join(projectDir, 'ingest', 'demo', 'config.json')) })
const app = await buildApp({ dbPath })
t.teardown(async () => { await app.close() })
await app.listen({ host: '127.0.0.1', port: 0 })
const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`

const browser = await launchChromium()
t.teardown(async () => { await browser.close() })
// Everything that went wrong in any page, checked empty at the very end.
const problems: string[] = []
const desktop = await watchedContext(browser, problems, { baseURL: base, viewport: { width: 1280, height: 900 } })
const page = await desktop.newPage()

t.test('the home page is styled and lists every advisory', async (t) => {
  const response = await page.goto('/')
  t.equal(response?.status(), 200)
  t.same(await texts(page, 'h1'), ['Security advisories'], 'exactly one h1')
  // The stylesheet came through the CSP: the header has its accent colour.
  const headerBackground = await page.locator('header.site').evaluate((el) => getComputedStyle(el).backgroundColor)
  t.not(headerBackground, 'rgba(0, 0, 0, 0)', 'header.site has a background')
  t.equal(await page.locator('p.count').innerText(), 'Showing 1–29 of 29 advisories.')
  t.equal(await page.locator('table.advisories tbody tr').count(), 29)
})

t.test('the severity filter narrows the list', async (t) => {
  await page.goto('/')
  await page.getByLabel('Important', { exact: true }).check()
  await navigation(page, () => page.getByRole('button', { name: 'Apply filters' }).click())
  t.match(page.url(), 'severity=important')
  t.equal(await page.locator('p.count').innerText(), 'Showing 1–6 of 6 advisories.')
  t.same(await texts(page, 'table.advisories tbody td[data-label="Severity"] span.badge'), Array(6).fill('Important'))
  t.ok(await page.getByLabel('Important', { exact: true }).isChecked(), 'the checkbox stays checked')
})

t.test('the search box finds advisories and survives query syntax', async (t) => {
  await page.goto('/')
  await page.locator('#q').fill('kernel')
  await navigation(page, () => page.locator('#q').press('Enter'))
  t.equal(new URL(page.url()).searchParams.get('q'), 'kernel')
  t.equal(await page.locator('table.advisories tbody tr').count(), 7)
  t.equal(await page.locator('p.count').innerText(), 'Showing 1–7 of 7 advisories.')

  // Quotes and brackets would be a syntax error if passed to FTS5 as they are.
  await page.locator('#q').fill('"kernel OR (')
  const junk = await navigation(page, () => page.getByRole('button', { name: 'Apply filters' }).click())
  t.equal(junk.status(), 200)
  t.equal(new URL(page.url()).searchParams.get('q'), '"kernel OR (')
  t.same(await texts(page, 'h1'), ['Security advisories'])
  t.equal(await page.locator('#q').inputValue(), '"kernel OR (', 'the query is kept in the box')
})

t.test('an advisory page shows its references, commands and packages', async (t) => {
  await page.goto('/')
  await navigation(page, () => page.locator('table.advisories tbody th a', { hasText: 'ALAS2-2018-939' }).click())
  t.equal(new URL(page.url()).pathname, advisoryPath)
  t.same(await texts(page, 'h1'), ['Amazon Linux 2 Security Advisory: ALAS2-2018-939'])
  const cveLinks = page.locator('ul.cve-list a:not(.external)')
  t.same(await cveLinks.allInnerTexts(), ['CVE-2017-5715', 'CVE-2017-5754'])
  t.same(await cveLinks.evaluateAll((as) => as.map((a) => a.getAttribute('href'))), ['/cve/CVE-2017-5715', '/cve/CVE-2017-5754'])
  t.match(await page.locator('code.command').first().innerText(), /^yum update /)
  const arches = await texts(page, 'h3.arch')
  t.ok(arches.includes('x86_64:') && arches.includes('noarch:'), `arch headings ${arches.join(' ')}`)
  t.ok((await texts(page, 'ul.nevra li')).includes('kernel-4.9.76-38.79.amzn2.x86_64'), 'the x86_64 kernel is listed')
})

t.test('links lead to the CVE and the package pages', async (t) => {
  await page.goto(advisoryPath)
  await navigation(page, () => page.locator('ul.cve-list').getByRole('link', { name: 'CVE-2017-5715', exact: true }).click())
  t.equal(new URL(page.url()).pathname, cvePath)
  t.same(await texts(page, 'h1'), ['CVE-2017-5715'])
  t.equal(await page.locator('table.fixes a', { hasText: 'ALAS2-2018-939' }).count(), 1, 'the CVE page lists the advisory')

  await page.goBack()
  t.equal(new URL(page.url()).pathname, advisoryPath)
  const affected = page.locator('section[aria-labelledby="affected"]')
  await navigation(page, () => affected.getByRole('link', { name: 'kernel', exact: true }).click())
  t.equal(new URL(page.url()).pathname, '/packages/kernel')
  t.same(await texts(page, 'h1'), ['Package kernel'])
})

t.test('the first Tab reaches the skip link', async (t) => {
  await page.goto('/')
  await page.keyboard.press('Tab')
  const focused = await page.evaluate(() => {
    const el = document.activeElement
    return el === null ? null : { tag: el.tagName, skip: el.matches('a.skip'), text: el.textContent, href: el.getAttribute('href') }
  })
  t.same(focused, { tag: 'A', skip: true, text: 'Skip to content', href: '#content' })
})

t.test('screenshots at desktop and phone width, light and dark', async (t) => {
  mkdirSync(screenshotDir, { recursive: true })
  const pages = { home: '/', advisory: advisoryPath, cve: cvePath }
  const phone = await watchedContext(browser, problems, { baseURL: base, viewport: { width: 390, height: 844 } })
  const dark = await watchedContext(browser, problems, { baseURL: base, viewport: { width: 1280, height: 900 }, colorScheme: 'dark' })
  t.teardown(async () => { await phone.close(); await dark.close() })
  const phonePage = await phone.newPage()

  const shoot = async (p: Page, name: string, path: string): Promise<void> => {
    t.equal((await p.goto(path))?.status(), 200, `${name}: ${path} loads`)
    const file = join(screenshotDir, `${name}.png`)
    await p.screenshot({ path: file, fullPage: true })
    t.ok(statSync(file).size > 0, `${name}.png is written`)
  }
  for (const [name, path] of Object.entries(pages)) {
    await shoot(page, `desktop-${name}`, path)
    await shoot(phonePage, `phone-${name}`, path)
    // Wide tables must scroll inside their own box, not drag the whole page sideways.
    const widths = await phonePage.evaluate(() => ({ scroll: document.documentElement.scrollWidth, inner: window.innerWidth }))
    t.ok(widths.scroll <= widths.inner, `phone ${path} does not scroll sideways (${widths.scroll} <= ${widths.inner})`)
  }
  const darkPage = await dark.newPage()
  await shoot(darkPage, 'dark-advisory', advisoryPath)
  t.equal(await darkPage.evaluate(() => matchMedia('(prefers-color-scheme: dark)').matches), true, 'dark mode is on')
})

t.test('no page logged an error, failed a request or left loopback', async (t) => {
  t.same(problems, [])
})
