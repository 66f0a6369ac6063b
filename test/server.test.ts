// The minimal server: /healthz and the start page over a database the ingest worker wrote,
// opened read-only, refusing a schema it does not know.
import t from 'tap'
import Database from 'better-sqlite3'
import { join } from 'node:path'
import { latestVersion } from '../db/migrate.js'
import { loadJsonConfig } from '../ingest/config.js'
import { runIngest } from '../ingest/run.js'
import { buildApp } from '../server/app.js'
import { projectDir, tempDir } from './helpers/paths.js'

t.test('the demo repositories are ingested and served', async (t) => {
  const dbPath = join(tempDir(t), 'db.sqlite')
  const summary = await runIngest({ dbPath, repos: loadJsonConfig(join(projectDir, 'ingest', 'demo', 'config.json')) })
  t.same(summary.repos.map((r) => r.status), Array(8).fill('ok'), 'every demo repo is ingested')
  t.equal(summary.repos.reduce((n, r) => n + r.added, 0), 29)
  t.equal(new Set(summary.repos.map((r) => r.product)).size, 7)

  const app = await buildApp({ dbPath })
  t.teardown(async () => { await app.close() })
  const health = await app.inject('/healthz')
  t.equal(health.statusCode, 200)
  t.same(health.json(), { status: 'ok', advisories: 29, data_generation: 8 })

  const home = await app.inject('/')
  t.equal(home.statusCode, 200)
  t.match(home.headers['content-type'], /^text\/html/)
  t.match(home.body, 'Showing 1–29 of 29 advisories.')
  const products = await app.inject('/products')
  t.match(products.body, /Amazon Linux 2<\/a> <small>\(<code>amzn2<\/code>\)<\/small><\/h2>\s*<p>3 advisories\.<\/p>/)

  const css = await app.inject('/static/style.css')
  t.equal(css.statusCode, 200)
  t.equal((await app.inject('/static/../package.json')).statusCode, 404)
})

t.test('the server reads while an ingest writes, and never writes itself', async (t) => {
  const dir = tempDir(t)
  const dbPath = join(dir, 'db.sqlite')
  const config = loadJsonConfig(join(projectDir, 'ingest', 'demo', 'config.json'))
  await runIngest({ dbPath, repos: config.slice(0, 1) })
  const app = await buildApp({ dbPath })
  t.teardown(async () => { await app.close() })
  t.equal((await app.inject('/healthz')).json().advisories, 3)
  await runIngest({ dbPath, repos: config.slice(1) })
  t.equal((await app.inject('/healthz')).json().advisories, 29, 'the server sees what the ingest committed')
})

t.test('a missing database or a schema from the future is refused with a clear message', async (t) => {
  const dir = tempDir(t)
  await t.rejects(buildApp({ dbPath: join(dir, 'none.sqlite') }), /does not exist: run "npm start" or "npm run ingest" first/)
  const dbPath = join(dir, 'future.sqlite')
  const db = new Database(dbPath)
  db.pragma('user_version = 999')
  db.close()
  await t.rejects(buildApp({ dbPath }), /schema version 999 is newer than this program knows/)
  const oldPath = join(dir, 'old.sqlite')
  new Database(oldPath).close()
  await t.rejects(buildApp({ dbPath: oldPath }), new RegExp(`schema version 0 is older than ${latestVersion()}; run "npm run ingest" or "npm run migrate"`))
})
