// --watch: the worker re-checks on schedule with conditional requests, picks up a changed repo,
// and stops cleanly (exit 0) on SIGTERM.
import t from 'tap'
import { join } from 'node:path'
import { readRows } from './helpers/db.js'
import { spawnCli, waitUntil } from './helpers/cli.js'
import { startServer } from './helpers/http-server.js'
import { tempDir } from './helpers/paths.js'
import { writeRepo } from './helpers/repo-builder.js'

const updateinfo = (ids: string[]): string =>
  `<updates>${ids.map((id) => `<update type="security"><id>${id}</id><severity>low</severity></update>`).join('')}</updates>`

t.test('watch mode re-checks with If-None-Match, ingests a change, and stops on SIGTERM', async (t) => {
  const dir = tempDir(t)
  const root = join(dir, 'www')
  writeRepo(join(root, 'repo'), updateinfo(['EPLL-2016-0001']))
  const server = await startServer(t, { root })
  const dbPath = join(dir, 'db.sqlite')
  const worker = spawnCli(t, ['--repo', server.url('/repo/'), '--product', 'epll', '--db', dbPath, '--watch', '--interval', '1s', '--json'])

  await waitUntil(() => server.count('/repo/repodata/repomd.xml') >= 2, 20_000)
  const second = server.requests('/repo/repodata/repomd.xml')[1]!
  t.type(second.headers['if-none-match'], 'string', 'the second check is conditional')
  t.equal(second.status, 304, 'and answered 304')
  t.equal(server.count('/repo/repodata/updateinfo.xml.gz'), 1, 'updateinfo was downloaded once')

  writeRepo(join(root, 'repo'), updateinfo(['EPLL-2016-0001', 'EPLL-2016-0002']))
  await waitUntil(() => readRows(dbPath, 'SELECT id FROM advisory').length === 2, 20_000)
  t.same(readRows(dbPath, 'SELECT id FROM advisory ORDER BY id'), [{ id: 'EPLL-2016-0001' }, { id: 'EPLL-2016-0002' }])

  worker.child.kill('SIGTERM')
  const result = await worker.done
  t.equal(result.code, 0, 'a watch worker stopped by SIGTERM exits 0')
  const summaries = result.stdout.trim().split('\n').map((line) => JSON.parse(line) as { repos: Array<{ status: string }> })
  t.equal(summaries[0]?.repos[0]?.status, 'ok')
  t.ok(summaries.some((s) => s.repos[0]?.status === 'unchanged'), 'an unchanged check is reported as unchanged')
})
