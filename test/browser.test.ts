// The portal in a real browser (system Chromium, loopback socket): filters, search and the advisory,
// CVE and package pages work by mouse and keyboard, at desktop and phone width, with no CSP or load error;
// advisories full of XSS payloads stay text, with the CSP and without it.
import t from 'tap'
import { mkdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import type { Dialog, Page } from 'playwright-core'
import type { RepoSpec } from '../ingest/config.js'
import { navigation, watchedContext } from './helpers/browser.js'
import { demoSite } from './helpers/demo-site.js'
import { projectDir, tempDir } from './helpers/paths.js'
import { writeRepo } from './helpers/repo-builder.js'

const screenshotDir = join(projectDir, 'test-output', 'screenshots')
const advisoryPath = '/amzn2/ALAS2-2018-939'
const cvePath = '/cve/CVE-2017-5715'

const texts = async (page: Page, selector: string): Promise<string[]> =>
  (await page.locator(selector).allInnerTexts()).map((s) => s.trim())

// A hostile product beside the demo data: every field a page shows is a payload that would set window.__xss
// or open a dialog if it ever ran. Its severities (Critical, Low) and words keep the demo counts below.
const hostile = { product: 'xss', name: 'XSS <i>Linux</i>', id: 'XSS-2024:0001', oddId: 'X-1"><script>alert(7)</script>', title: '<script>alert(1)</script>', pkg: '<b>pkg</b>', cve: 'CVE-2024-99999' }
const hostileXml = `<?xml version="1.0" encoding="UTF-8"?>
<updates>
  <update status="final" type="security" version="1">
    <id>${hostile.id}</id>
    <title>&lt;script&gt;alert(1)&lt;/script&gt;</title>
    <issued date="2024-03-05 06:07:08"/>
    <severity>Critical</severity>
    <description>&lt;img src=x onerror="window.__xss=1"&gt; "&gt;&lt;svg onload="window.__xss=2"&gt; &lt;img src=x onerror=alert(2)&gt; &lt;/p&gt;&lt;script&gt;window.__xss=3&lt;/script&gt;</description>
    <references>
      <reference href="javascript:window.__xss=4" id="J4" type="vendor" title="j4"/>
      <reference href="JaVaScRiPt:alert(5)" type="vendor"/>
      <reference href=" javascript:alert(6)" type="vendor"/>
      <reference href="https://www.cve.org/CVERecord?id=${hostile.cve}" id="${hostile.cve}" type="cve"/>
    </references>
    <pkglist><collection short="x"><package name="&lt;b&gt;pkg&lt;/b&gt;" version="1.0" release="1" arch="x86_64"/></collection></pkglist>
  </update>
  <update status="final" type="security" version="1">
    <id>X-1"&gt;&lt;script&gt;alert(7)&lt;/script&gt;</id>
    <title>&lt;img src=x onerror="window.__xss=5"&gt;</title>
    <issued date="2024-03-01"/>
    <severity>Low</severity>
    <pkglist><collection short="x"><package name="&lt;b&gt;pkg&lt;/b&gt;" version="0.9" release="1" arch="x86_64"/></collection></pkglist>
  </update>
</updates>`

const xssRoot = join(tempDir(t), 'xss')
writeRepo(xssRoot, hostileXml)
const hostileRepo: RepoSpec = { productId: hostile.product, productName: hostile.name, url: xssRoot, kind: 'baseurl', baseurls: [xssRoot], name: 'xss', allowedHosts: [] }
const { base, browser } = await demoSite(t, [hostileRepo])
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
  // 29 demo advisories and the 2 hostile ones.
  t.equal(await page.locator('p.count').innerText(), 'Showing 1–31 of 31 advisories.')
  t.equal(await page.locator('table.advisories tbody tr').count(), 31)
})

t.test('the severity filter narrows the list', async (t) => {
  await page.goto('/')
  // The filter panel is folded on the plain home page (it opens by itself once a filter is set).
  await page.locator('details.filter-panel > summary').click()
  await page.getByLabel('Important', { exact: true }).check()
  await navigation(page, () => page.getByRole('button', { name: 'Apply filters' }).click())
  t.match(page.url(), 'severity=important')
  t.equal(await page.locator('p.count').innerText(), 'Showing 1–6 of 6 advisories.')
  t.same(await texts(page, 'table.advisories tbody td[data-label="Severity"] span.badge'), Array(6).fill('Important'))
  t.ok(await page.getByLabel('Important', { exact: true }).isChecked(), 'the checkbox stays checked')
})

t.test('the search box finds advisories and survives query syntax', async (t) => {
  await page.goto('/')
  // The filter panel is folded on the plain home page (it opens by itself once a filter is set).
  await page.locator('details.filter-panel > summary').click()
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

t.test('"Check a server": from the nav, paste packages, read the advisories and the unreadable line', async (t) => {
  mkdirSync(screenshotDir, { recursive: true })
  const pasted = ['kernel-4.9.70-1.amzn2.x86_64', 'bash-0:99.0-1.amzn2.x86_64', 'this is not a package'].join('\n')
  const check = async (p: Page): Promise<void> => {
    await p.getByLabel('Product').selectOption('amzn2')
    await p.getByLabel('Installed packages, one per line').fill(pasted)
    // A same-origin form post: the browser sends the portal's Origin, which the route accepts.
    const response = await navigation(p, () => p.getByRole('button', { name: 'Check packages' }).click())
    t.equal(response.status(), 200, 'the check is answered')
    t.equal(response.request().method(), 'POST')
    t.equal((await response.allHeaders())['cache-control'], 'no-store', 'and not cached')
    t.equal(new URL(p.url()).pathname, '/check')
    t.match(await p.locator('p.check-summary').innerText(), /^Read 2 packages; 1 line could not be read\. \d+ advisor(y applies|ies apply)\.$/)
    const advisory = p.locator('li.check-advisory', { hasText: 'ALAS2-2018-939' })
    t.equal(await advisory.count(), 1, 'ALAS2-2018-939 is listed')
    t.same(await texts(p, 'li.check-advisory[data-id="ALAS2-2018-939"] code.fixed'), ['kernel-4.9.76-38.79.amzn2.x86_64'], 'with the kernel that fixes it')
    t.equal(await advisory.getByRole('link', { name: 'ALAS2-2018-939' }).getAttribute('href'), advisoryPath)
    t.match(await p.locator('code.check-command').innerText(), /^yum update (--advisory=\S+ )*--advisory=ALAS2-2018-939( |$)/)
    t.equal(await p.locator('ul.unparsed li').count(), 1, 'one unreadable line')
    t.match(await p.locator('ul.unparsed li').innerText(), /^Line 3: this is not a package/)
    t.equal(await p.getByLabel('Product').inputValue(), 'amzn2', 'the form keeps the product')
    t.equal(await p.getByLabel('Installed packages, one per line').inputValue(), pasted, 'and the packages')
  }

  await page.goto('/')
  await navigation(page, () => page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Check a server' }).click())
  t.equal(new URL(page.url()).pathname, '/check')
  t.same(await texts(page, 'h1'), ['Check a server'])
  t.equal(await page.locator('nav a[aria-current="page"]').innerText(), 'Check a server', 'the nav marks the page')
  await check(page)
  await page.screenshot({ path: join(screenshotDir, 'check-desktop.png'), fullPage: true })
  t.ok(statSync(join(screenshotDir, 'check-desktop.png')).size > 0, 'check-desktop.png is written')

  const phone = await watchedContext(browser, problems, { baseURL: base, viewport: { width: 390, height: 844 } })
  t.teardown(async () => { await phone.close() })
  const phonePage = await phone.newPage()
  await phonePage.goto('/check')
  await check(phonePage)
  const widths = await phonePage.evaluate(() => ({ scroll: document.documentElement.scrollWidth, inner: window.innerWidth }))
  t.ok(widths.scroll <= widths.inner, `phone /check answer does not scroll sideways (${widths.scroll} <= ${widths.inner})`)
  await phonePage.screenshot({ path: join(screenshotDir, 'check-phone.png'), fullPage: true })
  t.ok(statSync(join(screenshotDir, 'check-phone.png')).size > 0, 'check-phone.png is written')
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

t.test('stored XSS stays inert', async (t) => {
  const enc = encodeURIComponent
  const advisoryUrl = `/${hostile.product}/${enc(hostile.id)}`
  const oddUrl = `/${hostile.product}/${enc(hostile.oddId)}`
  const visits = [advisoryUrl, oddUrl, `/?product=${hostile.product}`, `/${hostile.product}`, `/cve/${hostile.cve}`, `/packages/${enc(hostile.pkg)}`]
  // With the CSP (what users get) and without it: the escaping alone must keep every payload text.
  const noCsp = await watchedContext(browser, problems, { baseURL: base, viewport: { width: 1280, height: 900 }, bypassCSP: true })
  t.teardown(async () => { await noCsp.close() })
  for (const [label, p] of [['with CSP', page], ['CSP bypassed', await noCsp.newPage()]] as const) {
    const dialogs: string[] = []
    const onDialog = (dialog: Dialog): void => { dialogs.push(`${dialog.type()}: ${dialog.message()}`); dialog.dismiss().catch(() => {}) }
    p.on('dialog', onDialog)
    for (const url of visits) {
      const what = `${label} ${url}`
      t.equal((await p.goto(url))?.status(), 200, `${what}: 200`)
      await p.waitForLoadState('networkidle')
      t.equal(await p.evaluate(() => typeof (window as unknown as { __xss?: unknown }).__xss), 'undefined', `${what}: window.__xss is not set`)
      const dom = await p.evaluate(() => ({
        scripts: document.scripts.length,
        // The portal's own charts are svg.chart (a product page shows one); the payloads carry no such class.
        payloadElements: document.querySelectorAll('main img, main svg:not(.chart), main b, main i, main iframe').length,
        handlers: [...document.querySelectorAll('*')].flatMap((el) => el.getAttributeNames().filter((n) => n.startsWith('on'))),
        links: [...document.links].map((a) => a.protocol).filter((protocol) => protocol !== 'http:' && protocol !== 'https:')
      }))
      t.strictSame(dom, { scripts: 0, payloadElements: 0, handlers: [], links: [] }, `${what}: no script, payload element, handler or script link in the DOM`)
    }
    t.strictSame(dialogs, [], `${label}: no dialog opened`)
    p.off('dialog', onDialog)

    await p.goto(advisoryUrl)
    t.ok(await p.locator('p.lead').getByText(hostile.title, { exact: true }).isVisible(), `${label}: the title is visible as text`)
    t.equal(await p.title(), `${hostile.id}: ${hostile.title} · Lambda Linux Security Center`, `${label}: and in the window title`)
    t.same(await texts(p, 'h1'), [`${hostile.name} Security Advisory: ${hostile.id}`], `${label}: the product name is text in the h1`)
    t.ok(await p.getByText('<img src=x onerror="window.__xss=1">', { exact: false }).isVisible(), `${label}: the description's markup is visible as text`)
    t.ok(await p.locator('ul.references').getByText('JaVaScRiPt:alert(5)').isVisible(), `${label}: an unsafe reference is text, not a link`)
    await p.goto(oddUrl)
    t.same(await texts(p, 'h1'), [`${hostile.name} Security Advisory: ${hostile.oddId}`], `${label}: the hostile id is text in the h1`)
    await p.goto(`/packages/${enc(hostile.pkg)}`)
    t.same(await texts(p, 'h1'), [`Package ${hostile.pkg}`], `${label}: the package name is text in the h1`)
    await p.goto(`/?product=${hostile.product}`)
    t.same(await texts(p, 'table.advisories tbody th a'), [hostile.id, hostile.oddId], `${label}: the list shows both ids as text`)
    await navigation(p, () => p.locator('table.advisories tbody th a', { hasText: hostile.oddId }).click())
    t.equal(new URL(p.url()).pathname, oddUrl, `${label}: the hostile id's link leads to its page`)
  }
})

t.test('no page logged an error, failed a request or left loopback', async (t) => {
  t.same(problems, [])
})
