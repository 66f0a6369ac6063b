// The app over a temporary database holding some of the bundled demo products, for tests that need real
// advisories but not a particular lab: ingested with the real worker, closed when the test ends.
import type { FastifyInstance } from 'fastify'
import type { Test } from 'tap'
import { join } from 'node:path'
import { loadJsonConfig } from '../../ingest/config.js'
import { runIngest } from '../../ingest/run.js'
import { buildApp } from '../../server/app.js'
import { projectDir, tempDir } from './paths.js'

export interface DemoApp { app: FastifyInstance, dir: string, dbPath: string }

export async function demoApp (t: Test, products: string[]): Promise<DemoApp> {
  const dir = tempDir(t)
  const dbPath = join(dir, 'db.sqlite')
  const repos = loadJsonConfig(join(projectDir, 'ingest', 'demo', 'config.json')).filter((r) => products.includes(r.productId))
  t.same((await runIngest({ dbPath, repos })).repos.map((r) => r.status), repos.map(() => 'ok'), `demo products ${products.join(', ')} ingested`)
  const app = await buildApp({ dbPath })
  t.teardown(async () => { await app.close() })
  return { app, dir, dbPath }
}
