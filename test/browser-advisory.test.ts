// An advisory page with its source RPMs and signing key in a real browser (system Chromium, loopback socket):
// the blocks are there and readable at desktop and phone width, light and dark, with no CSP or load error, and
// /favicon.ico loads; screenshots go to test-output/screenshots/ beside test/browser.test.ts's.
import t from 'tap'
import { mkdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import type { BrowserContext, Page } from 'playwright-core'
import { watchedContext } from './helpers/browser.js'
import { gpgShowKey } from './helpers/gpg.js'
import { projectDir } from './helpers/paths.js'
import { demoSite } from './helpers/demo-site.js'

const screenshotDir = join(projectDir, 'test-output', 'screenshots')
// Fedora's advisory names its SRPMs (arch="src" packages); Amazon's does not, and the demo gives amzn2 a key.
const withKey = '/amzn2/ALAS2-2018-939'
const withSrpms = '/fedora43/FEDORA-2025-4a08954c02'

const { base, browser, summary } = await demoSite(t)
const demoKey = gpgShowKey(t, join(projectDir, 'ingest', 'demo', 'RPM-GPG-KEY-llsc-demo'))
const problems: string[] = []
const contexts: Record<string, BrowserContext> = {
  desktop: await watchedContext(browser, problems, { baseURL: base, viewport: { width: 1280, height: 900 } }),
  dark: await watchedContext(browser, problems, { baseURL: base, viewport: { width: 1280, height: 900 }, colorScheme: 'dark' }),
  phone: await watchedContext(browser, problems, { baseURL: base, viewport: { width: 390, height: 844 } })
}
t.teardown(async () => { for (const c of Object.values(contexts)) await c.close() })

const text = async (page: Page, selector: string): Promise<string> => (await page.locator(selector).innerText()).trim()

t.test('the signing key and source blocks, read as a person reads them', async (t) => {
  t.strictSame(summary.keys?.map((k) => k.status), ['ok'], 'the demo key is read')
  const page = await contexts.desktop!.newPage()
  const response = await page.goto(withKey)
  t.equal(response?.status(), 200)
  const key = page.locator('section.signing-key')
  t.ok(await key.isVisible(), 'the signing key section is shown')
  t.equal(await text(page, 'section.signing-key h2'), 'Signing key')
  // What gpg itself says of the demo key file, grouped as gpg prints it.
  const grouped = demoKey.fingerprint.replace(/(.{4})(?!$)/g, '$1 ').replace(/^((?:\S{4} ){5})/, '$1 ')
  t.equal(await page.locator('code.fingerprint').evaluate((el) => el.textContent), grouped, 'the fingerprint, exactly')
  t.equal(await text(page, 'dd.key-user'), demoKey.userId)
  t.equal(await page.locator('section.signing-key time').getAttribute('datetime'), demoKey.created)
  const commands = (await page.locator('section.signing-key code.command').allInnerTexts()).map((s) => s.trim())
  t.strictSame(commands, ['rpm --import RPM-GPG-KEY-llsc-demo', 'rpm -K kernel-doc-4.9.76-38.79.amzn2.noarch.rpm'])
  t.equal(await text(page, '#source-packages p.source-download code.command'), 'yumdownloader --enablerepo=amzn2-core-source --source kernel perf python-perf')
  t.equal(await page.locator('#history').count(), 0, 'an advisory that never changed has no history section')
  // The fingerprint's grid cell spans the block, so the fingerprint is on one line at desktop width.
  const lines = await page.locator('code.fingerprint').evaluate((el) => Math.round(el.getBoundingClientRect().height / parseFloat(getComputedStyle(el).lineHeight || '20')))
  t.ok(lines <= 1, `the fingerprint fits one line (${lines})`)
  await page.close()

  const fedora = await contexts.desktop!.newPage()
  await fedora.goto(withSrpms)
  t.strictSame(await fedora.locator('#source-packages ul.source-rpms li').allInnerTexts(),
    ['python-boto3-1.42.0-1.fc43.src', 'python-botocore-1.41.6-1.fc43.src', 'python-s3transfer-0.16.0-1.fc43.src'])
  t.equal(await text(fedora, '#source-packages code.command'), 'dnf download --enablerepo=updates-source --source python-boto3 python-botocore python-s3transfer')
  await fedora.close()
})

t.test('screenshots: desktop, dark and phone, and no sideways scrolling on a phone', async (t) => {
  mkdirSync(screenshotDir, { recursive: true })
  for (const [name, context] of Object.entries(contexts)) {
    const page = await context.newPage()
    await page.goto(withKey)
    if (name === 'dark') t.equal(await page.evaluate(() => matchMedia('(prefers-color-scheme: dark)').matches), true, 'dark mode is on')
    if (name === 'phone') {
      const widths = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, inner: window.innerWidth }))
      t.ok(widths.scroll <= widths.inner, `the phone page does not scroll sideways (${widths.scroll} <= ${widths.inner})`)
    }
    // The key block's text keeps its contrast in either theme: the fingerprint is not the background's colour.
    const colours = await page.locator('code.fingerprint').evaluate((el) => [getComputedStyle(el).color, getComputedStyle(document.body).backgroundColor])
    t.not(colours[0], colours[1], `${name}: the fingerprint is visible`)
    const file = join(screenshotDir, `advisory-source-key-${name}.png`)
    await page.screenshot({ path: file, fullPage: true })
    t.ok(statSync(file).size > 0, `${file} is written`)
    await page.locator('section.signing-key').screenshot({ path: join(screenshotDir, `advisory-key-block-${name}.png`) })
    await page.close()
  }
})

t.test('/favicon.ico loads as an image', async (t) => {
  // A context without the watched one's request routing: Playwright's routing does not pass /favicon.ico through.
  const plain = await browser.newContext({ baseURL: base })
  t.teardown(async () => { await plain.close() })
  const page = await plain.newPage()
  // Loaded from a page (the CSP allows images from the portal itself); opened directly, Chromium downloads it.
  await page.goto('/products')
  const size = await page.evaluate(async () => {
    const img = new Image()
    img.src = '/favicon.ico'
    await img.decode()
    return [img.naturalWidth, img.naturalHeight]
  })
  t.ok(size[0]! >= 16 && size[0] === size[1], `a square icon (${size.join('x')})`)
  await page.close()
})

t.test('no page had a problem', async (t) => {
  t.strictSame(problems, [])
})
