// Accessibility: axe-core run in the system Chromium on the pages people land on (home, home with the filter
// panel open, an advisory, a CVE, products, feeds, statistics), in the light and the dark theme. No violation of
// impact serious or critical may remain (contrast, names and labels, landmarks, headings, the charts' text
// alternatives). axe is injected as a script, which the portal's CSP forbids: these contexts bypass the CSP,
// and nothing else differs.
import t from 'tap'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Page } from 'playwright-core'
import { watchedContext } from './helpers/browser.js'
import { projectDir } from './helpers/paths.js'
import { demoSite } from './helpers/demo-site.js'

const axeSource = readFileSync(join(projectDir, 'node_modules', 'axe-core', 'axe.min.js'), 'utf8')

const pages = {
  home: '/',
  'home, filters open': '/?severity=important',
  advisory: '/amzn2/ALAS2-2018-939',
  cve: '/cve/CVE-2017-5715',
  products: '/products',
  feeds: '/feeds',
  stats: '/stats'
}

interface AxeNode { target: unknown[], failureSummary?: string, any: Array<{ data?: { contrastRatio?: number, expectedContrastRatio?: string } | null }> }
interface Violation { id: string, impact: string | null, help: string, nodes: AxeNode[] }

const { base, browser } = await demoSite(t)
const problems: string[] = []

/**
 * axe's serious and critical violations on the page, each as one readable line per element; and the contrast
 * checks axe leaves "incomplete" although it measured a ratio below the one required (it does so for a form
 * field's typed text, whose rendering it cannot be sure of).
 */
async function seriousViolations (page: Page): Promise<string[]> {
  await page.addScriptTag({ content: axeSource })
  const { violations, incomplete } = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run: (context: Document, options: unknown) => Promise<{ violations: Violation[], incomplete: Violation[] }> } }).axe
    return await axe.run(document, { resultTypes: ['violations', 'incomplete'] })
  })
  const measuredTooLow = (n: AxeNode): boolean => n.any.some((a) => (a.data?.contrastRatio ?? 0) > 0 && a.data!.contrastRatio! < parseFloat(a.data!.expectedContrastRatio ?? '4.5'))
  const lowContrast = incomplete.filter((v) => v.id === 'color-contrast').map((v) => ({ ...v, nodes: v.nodes.filter(measuredTooLow) }))
  return [...violations, ...lowContrast]
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .flatMap((v) => v.nodes.map((n) => `${v.impact ?? ''} ${v.id} (${v.help}) at ${JSON.stringify(n.target)}: ${(n.failureSummary ?? JSON.stringify(n.any.map((a) => a.data))).replace(/\s+/g, ' ')}`))
}

/** WCAG's contrast ratio of two computed colours ("rgb(r, g, b)"). */
function contrast (a: string, b: string): number {
  const luminance = (colour: string): number => {
    const [r, g, bl] = (colour.match(/[\d.]+/g) ?? []).slice(0, 3).map((c) => {
      const v = Number(c) / 255
      return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4
    })
    return 0.2126 * r! + 0.7152 * g! + 0.0722 * bl!
  }
  const [light, dark] = [luminance(a), luminance(b)].sort((x, y) => y - x)
  return (light! + 0.05) / (dark! + 0.05)
}

for (const colorScheme of ['light', 'dark'] as const) {
  t.test(`axe finds nothing serious in the ${colorScheme} theme`, async (t) => {
    const context = await watchedContext(browser, problems, { baseURL: base, viewport: { width: 1280, height: 900 }, colorScheme, bypassCSP: true })
    t.teardown(async () => { await context.close() })
    const page = await context.newPage()
    for (const [name, path] of Object.entries(pages)) {
      t.equal((await page.goto(path))?.status(), 200, `${name}: ${path} loads`)
      t.equal(await page.evaluate(() => matchMedia('(prefers-color-scheme: dark)').matches), colorScheme === 'dark', `${name}: the ${colorScheme} theme`)
      // Typed text in the header's search box is checked too (an empty field has no text to measure).
      await page.fill('#site-q', 'openssl')
      t.same(await seriousViolations(page), [], `${name} (${colorScheme}): no serious or critical violation`)
    }
    // axe cannot tell the background behind SVG text: the charts' labels are measured here (WCAG AA, 4.5:1).
    for (const path of ['/', '/stats']) {
      await page.goto(path)
      const labels = await page.evaluate(() => [...document.querySelectorAll('svg.chart text')].map((el) => ({ text: el.textContent ?? '', fill: getComputedStyle(el).fill, background: getComputedStyle(document.body).backgroundColor })))
      t.ok(labels.length > 0, `${path}: chart labels found`)
      const low = labels.filter((l) => contrast(l.fill, l.background) < 4.5).map((l) => `${l.text}: ${l.fill} on ${l.background}`)
      t.same(low, [], `${path} (${colorScheme}): every chart label has a contrast of 4.5:1 or more`)
    }
  })
}

t.test('the check is not vacuous: axe reports a serious violation when there is one', async (t) => {
  const context = await watchedContext(browser, problems, { baseURL: base, bypassCSP: true })
  t.teardown(async () => { await context.close() })
  const page = await context.newPage()
  await page.goto('/stats')
  // An unnamed image, a field without a label and pale text, as a careless change would leave them.
  await page.evaluate(() => {
    document.querySelector('svg.chart-lines')?.removeAttribute('aria-labelledby')
    document.querySelector('svg.chart-lines title')?.remove()
    document.querySelector('label[for="from"]')?.remove()
    document.querySelector('#from')?.removeAttribute('placeholder')
    document.querySelector<HTMLElement>('p.stats-range')?.setAttribute('style', 'color: #c8c8c8')
  })
  const found = await seriousViolations(page)
  t.ok(found.some((line) => line.startsWith('serious svg-img-alt')), 'the unnamed chart is reported')
  t.ok(found.some((line) => line.startsWith('critical label ')), 'the unlabelled field is reported')
  t.ok(found.some((line) => line.startsWith('serious color-contrast ') && line.includes('stats-range')), 'the pale text is reported')
  t.ok(contrast('rgb(255, 255, 255)', 'rgb(0, 0, 0)') > 20.9 && contrast('rgb(118, 118, 118)', 'rgb(255, 255, 255)') > 4.5 && contrast('rgb(119, 119, 119)', 'rgb(255, 255, 255)') < 4.5, 'the contrast formula gives WCAG\'s figures')
})

t.test('no console error or failed request', async (t) => {
  t.same(problems, [])
})
