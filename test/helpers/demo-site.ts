// What every browser test starts from: the bundled demo data (and any extra repos) ingested into a fresh
// SQLite file, the portal listening on a loopback port, and the system Chromium; all closed when the test ends.
import type { Test } from 'tap'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import type { Browser } from 'playwright-core'
import { loadJsonConfig, type RepoSpec } from '../../ingest/config.js'
import { runIngest, type RunSummary } from '../../ingest/run.js'
import { buildApp } from '../../server/app.js'
import { launchChromium } from './browser.js'
import { projectDir, tempDir } from './paths.js'

export interface DemoSite { dir: string, dbPath: string, base: string, browser: Browser, summary: RunSummary }

export async function demoSite (t: Test, extraRepos: RepoSpec[] = []): Promise<DemoSite> {
  const dir = tempDir(t)
  const dbPath = join(dir, 'db.sqlite')
  const summary = await runIngest({ dbPath, repos: [...loadJsonConfig(join(projectDir, 'ingest', 'demo', 'config.json')), ...extraRepos] })
  const app = await buildApp({ dbPath })
  t.teardown(async () => { await app.close() })
  await app.listen({ host: '127.0.0.1', port: 0 })
  const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`
  const browser = await launchChromium()
  t.teardown(async () => { await browser.close() })
  return { dir, dbPath, base, browser, summary }
}
