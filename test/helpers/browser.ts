// Chromium for browser tests: launched from the system package, kept on loopback, and watched so
// that a console error, a script error, a failed request or an HTTP error shows up as a problem.
import { existsSync } from 'node:fs'
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Page, type Response } from 'playwright-core'

export const chromiumPath = '/usr/bin/chromium'

/** Launches the system Chromium; throws (never skips) when it is not installed. */
export async function launchChromium (): Promise<Browser> {
  if (!existsSync(chromiumPath)) {
    throw new Error(`${chromiumPath} does not exist: install Chromium (apt-get install chromium) to run the browser tests`)
  }
  return await chromium.launch({
    executablePath: chromiumPath,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run']
  })
}

/**
 * A context whose every page reports into `problems`: console errors, uncaught errors, failed
 * requests, answers of 400 and above, and any request that would leave 127.0.0.1 (which is aborted).
 */
export async function watchedContext (browser: Browser, problems: string[], options: BrowserContextOptions = {}): Promise<BrowserContext> {
  const context = await browser.newContext(options)
  await context.route('**/*', async (route) => {
    const url = new URL(route.request().url())
    if (url.protocol === 'data:' || url.hostname === '127.0.0.1') return await route.continue()
    problems.push(`request off loopback: ${url.href}`)
    await route.abort('blockedbyclient')
  })
  context.on('console', (msg) => { if (msg.type() === 'error') problems.push(`console error: ${msg.text()} (${msg.location().url})`) })
  context.on('weberror', (err) => { problems.push(`page error: ${err.error().message}`) })
  context.on('requestfailed', (req) => {
    const error = req.failure()?.errorText ?? '?'
    // The route above has already reported requests it aborted. Chromium cancels (ERR_ABORTED) a
    // sub-resource still loading when the page goes on, e.g. the favicon fetched after `load`.
    if (new URL(req.url()).hostname !== '127.0.0.1') return
    if (error === 'net::ERR_ABORTED' && !req.isNavigationRequest()) return
    problems.push(`request failed: ${req.url()} (${error})`)
  })
  context.on('response', (res) => { if (res.status() >= 400) problems.push(`HTTP ${res.status()}: ${res.url()}`) })
  return context
}

/** Runs `action` (a click, a key press) and waits for the page it leads to, returning its response. */
export async function navigation (page: Page, action: () => Promise<void>): Promise<Response> {
  const [response] = await Promise.all([
    page.waitForResponse((res) => res.request().isNavigationRequest() && res.frame() === page.mainFrame()),
    page.waitForEvent('domcontentloaded'),
    action()
  ])
  return response
}
