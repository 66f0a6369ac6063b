// The app over a temporary database filled by the real worker, for tests that need real advisories: the bundled
// demo products (all or some) and any lab repos the test writes. In steps, so that a test can act between them
// (a second ingest, an edit of the database) and build the app its own way.
import type { FastifyInstance } from 'fastify'
import type { Test } from 'tap'
import { join } from 'node:path'
import { loadJsonConfig, type RepoSpec } from '../../ingest/config.js'
import { runIngest, type RunSummary } from '../../ingest/run.js'
import { buildApp, type AppOptions } from '../../server/app.js'
import { projectDir, tempDir } from './paths.js'
import { writeRepo } from './repo-builder.js'

/** A fresh directory, removed when the test ends, and the database path in it (the first ingest creates it). */
export function testDb (t: Parameters<typeof tempDir>[0]): { dir: string, dbPath: string } {
  const dir = tempDir(t)
  return { dir, dbPath: join(dir, 'db.sqlite') }
}

/** The repos of the bundled demo configuration: every product's, or those of the products named. */
export function demoRepos (products?: string[]): RepoSpec[] {
  const repos = loadJsonConfig(join(projectDir, 'ingest', 'demo', 'config.json'))
  return products === undefined ? repos : repos.filter((r) => products.includes(r.productId))
}

/** Ingests the repos with the real worker and asserts that each one's status is ok (a failure shows its error). */
export async function ingestOk (t: Test, dbPath: string, repos: RepoSpec[]): Promise<RunSummary> {
  const summary = await runIngest({ dbPath, repos })
  const statuses = summary.repos.map((r) => r.status === 'ok' ? 'ok' : `${r.product} ${r.url}: ${r.status} ${r.error ?? ''}`)
  t.same(statuses, repos.map(() => 'ok'), `ingested: ${[...new Set(repos.map((r) => r.productId))].join(', ')}`)
  return summary
}

/** The app over the database, closed when the test ends. */
export async function testApp (t: Test, options: AppOptions): Promise<FastifyInstance> {
  const app = await buildApp(options)
  t.teardown(async () => { await app.close() })
  return app
}

/** A one-product repo on disk that a test rewrites: each call writes the updateinfo.xml and gives the repo to ingest. */
export function labRepo (t: Parameters<typeof tempDir>[0], product: { id: string, name: string }): (xml: string) => RepoSpec {
  const dir = tempDir(t)
  return (xml) => {
    writeRepo(dir, xml)
    return { productId: product.id, productName: product.name, url: dir, kind: 'baseurl', baseurls: [dir], name: product.id, allowedHosts: [] }
  }
}
