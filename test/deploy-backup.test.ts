// The backups deploy/README.md describes: `sqlite3 DB ".backup FILE"` and `sqlite3 DB "VACUUM INTO 'FILE'"`, taken
// while the server has the database open, give a database that the server opens and answers the same from.
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import t from 'tap'
import { demoRepos, ingestOk, testApp, testDb } from './helpers/test-app.js'

const sqlite3 = '/usr/bin/sqlite3'

t.test('a backup taken with the sqlite3 shell while the server runs serves the same data', async (t) => {
  const { dir, dbPath } = testDb(t)
  await ingestOk(t, dbPath, demoRepos(['amzn2', 'rocky8']))
  const live = await testApp(t, { dbPath })
  const answers = async (app: typeof live): Promise<string[]> =>
    await Promise.all(['/api/v1/advisories?limit=1000', '/api/v1/products', '/api/v1/cves/CVE-2017-5715'].map(async (url) => (await app.inject(url)).body))
  const expected = await answers(live)
  t.match(expected[0], /"ALAS2-/, 'the live database has the demo advisories')

  for (const [how, command] of [['.backup', `.backup ${join(dir, 'backup.sqlite')}`], ['VACUUM INTO', `VACUUM INTO '${join(dir, 'vacuum.sqlite')}'`]]) {
    const run = spawnSync(sqlite3, [dbPath, command!], { encoding: 'utf8' })
    t.equal(run.error, undefined, 'sqlite3 runs (Debian package sqlite3)')
    t.equal(run.status, 0, `${how}: ${run.stderr}`)
  }
  for (const copy of ['backup.sqlite', 'vacuum.sqlite']) {
    const app = await testApp(t, { dbPath: join(dir, copy) })
    t.equal((await app.inject('/readyz')).statusCode, 200, `${copy}: the server opens it, schema current`)
    t.same(await answers(app), expected, `${copy}: the same advisories, products and CVE`)
  }
})
