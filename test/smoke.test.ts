import t from 'tap'
import { join } from 'node:path'
import { runIngest } from '../ingest/run.js'
import { readRows } from './helpers/db.js'
import { tempDir } from './helpers/paths.js'
import { writeRepo } from './helpers/repo-builder.js'

t.test('a one-advisory repo is ingested', async (t) => {
  const dir = tempDir(t)
  writeRepo(join(dir, 'repo'), '<updates><update type="security"><id>EPLL-2016-0042</id><severity>Important</severity></update></updates>')
  const dbPath = join(dir, 'db.sqlite')
  const summary = await runIngest({ dbPath, repos: [{ productId: 'epll', productName: 'EPLL', url: join(dir, 'repo'), kind: 'baseurl', baseurls: [join(dir, 'repo')], name: null, allowedHosts: [] }] })
  t.equal(summary.repos[0]?.status, 'ok')
  t.same(readRows(dbPath, 'SELECT id, severity, severity_raw, type FROM advisory'), [{ id: 'EPLL-2016-0042', severity: 'important', severity_raw: 'Important', type: 'security' }])
})
