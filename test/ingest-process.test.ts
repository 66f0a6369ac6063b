// The real ingest CLI in a child process: --json output and exit statuses, the one-ingest-at-a-time
// lock, SIGKILL at several moments of a large ingest (the database is always before or after the
// repo's transaction, never in between) and SIGTERM (a download in progress is abandoned, a repo being
// written commits, the rest is interrupted).
import t from 'tap'
import { copyFileSync, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import type { RepoSpec } from '../ingest/config.js'
import { acquireIngestLock } from '../ingest/lock.js'
import { runIngest } from '../ingest/run.js'
import { runCli, spawnCli, waitUntil, type CliResult } from './helpers/cli.js'
import { dbState, readRows, type DbState } from './helpers/db.js'
import { startServer, type TestServer } from './helpers/http-server.js'
import { fixturesDir } from './helpers/paths.js'
import { writeRepo } from './helpers/repo-builder.js'
import { testDb } from './helpers/test-app.js'

const rockyXml = readFileSync(join(fixturesDir, 'updateinfo', 'vuln-list-update__rocky_happy_updateinfo.xml'))

interface Teardown { teardown: (fn: () => void | Promise<void>) => void }

// Only the temporary database from test-app.ts: these tests run the CLI in a child process, and build no app.
async function setup (t: Teardown): Promise<{ dir: string, dbPath: string, server: TestServer, env: Record<string, string> }> {
  const { dir, dbPath } = testDb(t)
  mkdirSync(join(dir, 'www'))
  mkdirSync(join(dir, 'tmp'))
  const server = await startServer(t, { root: join(dir, 'www') })
  // The CLI's temporary files (left behind by a killed process) stay inside the test's directory.
  return { dir, dbPath, server, env: { TMPDIR: join(dir, 'tmp') } }
}

const jsonKeys = ['product', 'url', 'status', 'added', 'changed', 'unchanged', 'withdrawn', 'skipped', 'error']

/** The --json summary; throws unless stdout is exactly one line of JSON with the documented keys. */
function parseJsonSummary (res: CliResult): { repos: Array<Record<string, unknown>> } {
  const parsed = JSON.parse(res.stdout) as { repos: Array<Record<string, unknown>> }
  if (res.stdout !== `${JSON.stringify(parsed)}\n`) throw new Error(`stdout is not one line of JSON: ${res.stdout}`)
  const keys = JSON.stringify([Object.keys(parsed), ...parsed.repos.map((r) => Object.keys(r))])
  const expected = JSON.stringify([['repos'], ...parsed.repos.map(() => jsonKeys)])
  if (keys !== expected) throw new Error(`unexpected keys ${keys}, expected ${expected}`)
  return parsed
}

t.test('tsx runs the CLI from the project root', async (t) => {
  const res = await runCli(t, ['--help'])
  t.equal(res.code, 0, res.stderr)
  t.match(res.stdout, /^Usage: npm run ingest -- \[options\]/)
})

t.test('under tsx the CLI reads every compression of the demo repos (xz included), into a new folder', async (t) => {
  // In a folder that does not exist yet: the first ingest makes it (the lock file included).
  const dbPath = join(testDb(t).dir, 'new', 'data', 'db.sqlite')
  const res = await runCli(t, ['--db', dbPath, '--config', join('ingest', 'demo', 'config.json'), '--json'])
  t.equal(res.code, 0, res.stderr)
  t.same(readRows(dbPath, "SELECT count(*) AS n FROM repo WHERE last_status = 'ok'"), [{ n: 8 }], 'all 8 demo repos ok, the xz ones (alma9) too')
})

t.test('--json: only JSON on stdout, exit statuses 0, 1 and 2', async (t) => {
  const { dir, server, env } = await setup(t)
  writeRepo(join(server.root, 'good'), rockyXml)
  const good = server.url('/good/')
  const missing = server.url('/missing/')

  t.test('exit 0 when every repo is ingested', async (t) => {
    const db = join(dir, 'ok.sqlite')
    const res = await runCli(t, ['--db', db, '--repo', good, '--product', 'rocky8', '--json'], env)
    t.equal(res.code, 0, res.stderr)
    t.equal(res.stderr, '', 'nothing on stderr')
    t.same(parseJsonSummary(res), {
      repos: [{ product: 'rocky8', url: good, status: 'ok', added: 4, changed: 0, unchanged: 0, withdrawn: 0, skipped: 0, error: null }]
    })
    const again = await runCli(t, ['--db', db, '--repo', good, '--product', 'rocky8', '--json'], env)
    t.equal(again.code, 0, again.stderr)
    t.same(parseJsonSummary(again), {
      repos: [{ product: 'rocky8', url: good, status: 'unchanged', added: 0, changed: 0, unchanged: 0, withdrawn: 0, skipped: 0, error: null }]
    })
  })

  t.test('exit 1 when a repo failed; the other is still ingested', async (t) => {
    const db = join(dir, 'failed.sqlite')
    const res = await runCli(t, ['--db', db, '--repo', missing, '--product', 'gone', '--repo', good, '--product', 'rocky8', '--json', '--retries', '0'], env)
    t.equal(res.code, 1, res.stderr)
    t.same(parseJsonSummary(res), {
      repos: [
        { product: 'gone', url: missing, status: 'failed', added: 0, changed: 0, unchanged: 0, withdrawn: 0, skipped: 0, error: `gone repo ${missing}: HTTP 404 Not Found: ${missing}repodata/repomd.xml does not exist` },
        { product: 'rocky8', url: good, status: 'ok', added: 4, changed: 0, unchanged: 0, withdrawn: 0, skipped: 0, error: null }
      ]
    })
    t.same(readRows(db, 'SELECT product_id, count(*) AS n FROM advisory GROUP BY product_id'), [{ product_id: 'rocky8', n: 4 }])
    t.same(readRows(db, 'SELECT status FROM ingest_run'), [{ status: 'failed' }])
  })

  t.test('exit 2 with one line naming the mistake and pointing to --help', async (t) => {
    const db = join(dir, 'usage.sqlite')
    const noProduct = await runCli(t, ['--db', db, '--repo', good, '--json'], env)
    t.equal(noProduct.code, 2)
    t.equal(noProduct.stdout, '')
    t.equal(noProduct.stderr, `ingest: --repo ${good} needs --product ID after it (see npm run ingest -- --help)\n`)

    const unknown = await runCli(t, ['--db', db, '--bogus'], env)
    t.equal(unknown.code, 2)
    t.equal(unknown.stdout, '')
    t.equal(unknown.stderr, 'ingest: unknown option --bogus (see npm run ingest -- --help)\n')

    const nothing = await runCli(t, ['--db', db], env)
    t.equal(nothing.code, 2)
    t.match(nothing.stderr, 'nothing to ingest')
    t.equal(existsSync(db), false, 'no database is created for a usage error')
  })
})

t.test('lock: a second ingest exits 75 while one is running', async (t) => {
  const { dbPath, server, env } = await setup(t)
  writeRepo(join(server.root, 'repo'), rockyXml)
  const url = server.url('/repo/')
  const args = ['--db', dbPath, '--repo', url, '--product', 'rocky8', '--json']

  t.test('held by acquireIngestLock in this process', async (t) => {
    const lock = acquireIngestLock(dbPath, 0)
    let released = false
    t.teardown(() => { if (!released) lock.release() })
    const res = await runCli(t, args, env)
    t.equal(res.code, 75)
    // --json always answers, a run refused as a whole included (docs/ingest.md).
    t.match(JSON.parse(res.stdout), { error: /^another ingest is running/, repos: [{ product: 'rocky8', status: 'failed' }] })
    t.match(res.stderr, 'another ingest is running')
    t.equal(server.count(), 0, 'nothing was fetched')
    lock.release()
    released = true
    const after = await runCli(t, args, env)
    t.equal(after.code, 0, after.stderr)
  })

  t.test('held by another CLI process stalled on a slow server', async (t) => {
    const db = `${dbPath}-2`
    const stalledArgs = ['--db', db, '--repo', url, '--product', 'rocky8', '--json']
    let release = (): void => {}
    server.on('/repo/repodata/repomd.xml', { until: new Promise<void>((resolve) => { release = resolve }) }, 1)
    t.teardown(() => release())
    server.clearLog()
    const first = spawnCli(t, stalledArgs, env)
    await server.waitForRequest('/repo/repodata/repomd.xml')
    const second = await runCli(t, stalledArgs, env)
    t.equal(second.code, 75)
    t.match(second.stderr, 'another ingest is running')
    t.equal(server.count('/repo/repodata/repomd.xml'), 1, 'the second process fetched nothing')
    release()
    const res = await first.done
    t.equal(res.code, 0, res.stderr)
    t.equal((JSON.parse(res.stdout) as { repos: Array<{ status: string }> }).repos[0]?.status, 'ok')
  })
})

// ---------------------------------------------------------------------------------------------

function generated (count: number, titlePrefix: string): string {
  const parts = ['<?xml version="1.0" encoding="UTF-8"?>\n<updates>\n']
  for (let i = 0; i < count; i++) {
    const id = `GEN-2024:${String(i).padStart(5, '0')}`
    const cve = `CVE-2024-${10000 + i}`
    parts.push(`<update from="sec@example.org" status="final" type="security" version="1"><id>${id}</id>` +
      `<title>${titlePrefix}: pkg${i} security update</title><issued date="2024-01-01 00:00:00"/><updated date="2024-01-02 00:00:00"/>` +
      `<severity>Important</severity><description>Fixes ${cve}.</description>` +
      `<references><reference href="https://example.org/${cve}" id="${cve}" type="cve" title="${cve}"/></references><pkglist><collection short="x"><name>x</name>`)
    for (const arch of ['x86_64', 'i686', 'noarch']) {
      parts.push(`<package name="pkg${i}" version="1.${i}" release="1.el9" epoch="0" arch="${arch}" src="pkg${i}-1.${i}-1.el9.src.rpm">` +
        `<filename>pkg${i}-1.${i}-1.el9.${arch}.rpm</filename><sum type="sha256">${'ab'.repeat(32)}</sum></package>`)
    }
    parts.push('</collection></pkglist></update>\n')
  }
  parts.push('</updates>\n')
  return parts.join('')
}

const fileSize = (path: string): number => { try { return statSync(path).size } catch { return 0 } }

t.test('SIGKILL at any moment leaves the database before or after the repo, never in between', async (t) => {
  const { dir, server, env } = await setup(t)
  const repoDir = join(server.root, 'big')
  const url = server.url('/big/')
  const spec: RepoSpec = { productId: 'gen', productName: 'gen', url, kind: 'baseurl', baseurls: [url], name: null, allowedHosts: [] }
  const smallCount = 100
  const largeCount = 20_000

  // The 'before' state: a small, different version of the same repo.
  const beforeDb = join(dir, 'before.sqlite')
  writeRepo(repoDir, generated(smallCount, 'Moderate'))
  const first = await runIngest({ dbPath: beforeDb, repos: [spec] })
  t.equal(first.repos[0]?.status, 'ok')
  t.equal(existsSync(`${beforeDb}-wal`), false, 'the before database is a single file to copy')
  const before: DbState = { integrity: 'ok', advisories: smallCount, packages: smallCount * 3, cves: smallCount, search: smallCount, generation: '1', withdrawn: 0 }
  const after: DbState = { integrity: 'ok', advisories: largeCount, packages: largeCount * 3, cves: largeCount, search: largeCount, generation: '2', withdrawn: 0 }
  t.same(dbState(beforeDb), before)

  writeRepo(repoDir, generated(largeCount, 'Important'))
  const updateinfo = '/big/repodata/updateinfo.xml.gz'
  const args = (db: string): string[] => ['--db', db, '--repo', url, '--product', 'gen', '--json']

  interface Plan { name: string, wait: (db: string, started: number) => Promise<void> }
  const sleep = async (ms: number): Promise<void> => await new Promise((resolve) => setTimeout(resolve, ms))
  const afterSpawn = (ms: number): Plan => ({ name: `${ms} ms after the start`, wait: async (_db, started) => { await sleep(started + ms - Date.now()) } })
  const afterDownload = (ms: number): Plan => ({
    name: `${ms} ms after the updateinfo request`,
    wait: async () => { await server.waitForRequest(updateinfo, 20_000); await sleep(ms) }
  })
  const plans: Plan[] = [
    afterSpawn(300),
    afterSpawn(800),
    afterSpawn(1500),
    afterDownload(0),
    afterDownload(1500),
    { name: 'while the transaction spills to the WAL', wait: async (db) => { await waitUntil(() => fileSize(`${db}-wal`) > 4 * 1024 * 1024, 30_000, 5) } }
  ]

  const states: string[] = []
  let midWriteDb = ''
  for (const [i, plan] of plans.entries()) {
    const db = join(dir, `kill-${i}.sqlite`)
    copyFileSync(beforeDb, db)
    server.clearLog()
    const started = Date.now()
    const proc = spawnCli(t, args(db), env)
    await plan.wait(db, started)
    const elapsed = Date.now() - started
    proc.child.kill('SIGKILL')
    const res = await proc.done
    t.equal(res.signal, 'SIGKILL', `${plan.name}: killed (after ${elapsed} ms) before it finished`)
    const state = dbState(db)
    t.equal(state.integrity, 'ok', `${plan.name}: integrity_check`)
    const which = state.advisories === before.advisories ? 'before' : state.advisories === after.advisories ? 'after' : 'in between'
    states.push(`${plan.name}: ${which}`)
    t.same(state, which === 'after' ? after : before, `${plan.name}: the whole 'before' or the whole 'after' state (${state.advisories} advisories)`)
    if (plan.name.startsWith('while')) midWriteDb = db
  }
  t.comment(states.join('\n'))
  t.match(states[states.length - 1], /: before$/, 'the kill in the middle of the transaction left the before state')

  // A normal run then completes on the database that was killed in the middle of its transaction.
  const res = await runCli(t, args(midWriteDb), env)
  t.equal(res.code, 0, res.stderr)
  t.same(JSON.parse(res.stdout), {
    repos: [{ product: 'gen', url, status: 'ok', added: largeCount - smallCount, changed: smallCount, unchanged: 0, withdrawn: 0, skipped: 0, error: null }]
  })
  t.same(dbState(midWriteDb), after)
})

t.test('SIGTERM during a download: that repo fails at once, the next is interrupted, exit 143', async (t) => {
  const { dbPath, server, env } = await setup(t)
  writeRepo(join(server.root, 'one'), rockyXml)
  writeRepo(join(server.root, 'two'), rockyXml)
  const one = server.url('/one/')
  const two = server.url('/two/')
  const args = ['--db', dbPath, '--repo', one, '--product', 'p1', '--repo', two, '--product', 'p2', '--json']
  let release = (): void => {}
  server.on('/one/repodata/updateinfo.xml.gz', { until: new Promise<void>((resolve) => { release = resolve }) }, 1)
  t.teardown(() => release())

  const proc = spawnCli(t, args, env)
  await server.waitForRequest('/one/repodata/updateinfo.xml.gz')
  proc.child.kill('SIGTERM')
  await waitUntil(() => proc.stderr.includes('SIGTERM received'))
  release()
  const res = await proc.done
  t.equal(res.code, 143, res.stderr)
  t.equal(res.signal, null)
  t.match(res.stderr, 'ingest: SIGTERM received; finishing the current repo, then stopping')
  t.same(parseJsonSummary(res), {
    repos: [
      { product: 'p1', url: one, status: 'failed', added: 0, changed: 0, unchanged: 0, withdrawn: 0, skipped: 0, error: `p1 repo ${one}: the download of ${one}repodata/updateinfo.xml.gz was interrupted: the run is stopping` },
      { product: 'p2', url: two, status: 'failed', added: 0, changed: 0, unchanged: 0, withdrawn: 0, skipped: 0, error: 'not ingested: the run was interrupted' }
    ]
  })
  t.same(readRows(dbPath, 'SELECT count(*) AS n FROM advisory'), [{ n: 0 }], 'nothing of the abandoned download was written')
  t.same(readRows(dbPath, 'SELECT status FROM ingest_run'), [{ status: 'interrupted' }])
  t.same(readRows(dbPath, 'SELECT r.url, l.status FROM ingest_log l JOIN repo r ON r.id = l.repo_id ORDER BY l.id'),
    [{ url: one, status: 'failed' }, { url: two, status: 'failed' }])
  t.equal(server.count(/^\/two\//), 0, 'the second repo was not fetched')
})

t.test('a second SIGTERM stops at once; nothing of the repo in progress is written', async (t) => {
  const { dbPath, server, env } = await setup(t)
  // The first signal must come while the repo is being parsed and written (during a download it would
  // end the run by itself): a large repo (about 4 s to write), signalled soon after its download.
  writeRepo(join(server.root, 'one'), generated(20_000, 'Important'))
  const one = server.url('/one/')

  const proc = spawnCli(t, ['--db', dbPath, '--repo', one, '--product', 'p1', '--json'], env)
  const updateinfo = await server.waitForRequest('/one/repodata/updateinfo.xml.gz', 30_000)
  await waitUntil(() => updateinfo.status === 200, 30_000, 5)
  await new Promise((resolve) => setTimeout(resolve, 300))
  proc.child.kill('SIGTERM')
  await waitUntil(() => proc.stderr.includes('SIGTERM received'))
  proc.child.kill('SIGTERM')
  const res = await proc.done
  t.equal(res.code, 143)
  t.equal(res.stdout, '')
  const state = dbState(dbPath)
  t.equal(state.integrity, 'ok')
  t.equal(state.advisories, 0)
})
