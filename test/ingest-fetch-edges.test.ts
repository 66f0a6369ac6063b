// The ingest worker's fetching layer at its edges (docs/reliability.md, items 9, 10, 11, 14, 17):
// redirects that leave the allowed hosts, local files reached through a remote mirrorlist or a
// symbolic link, a server that drips bytes, a signal during a download, credentials in repo URLs, and
// Content-Encoding on top of a .gz. As in test/hostile-ingest.test.ts, the database first holds good
// data (product "amzn", the one attacked, and "rocky", which must keep ingesting); a refused repo must
// name the repo and the cause and leave snapshot() exactly as it was.
import t, { type Test } from 'tap'
import Database from 'better-sqlite3'
import { existsSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { gzipSync } from 'node:zlib'
import { parseCliArgs, UsageError } from '../ingest/args.js'
import type { RepoSpec } from '../ingest/config.js'
import { defaultFetchOptions } from '../ingest/fetcher.js'
import type { RepoResult } from '../ingest/ingest-repo.js'
import { runIngest, type RunOptions } from '../ingest/run.js'
import { spawnCli, waitUntil } from './helpers/cli.js'
import { readRows, snapshot } from './helpers/db.js'
import { startServer } from './helpers/http-server.js'
import { fixturesDir, tempDir } from './helpers/paths.js'
import { drip, fileUnder, serveFile, startRawServer } from './helpers/raw-server.js'
import { sha256, writeRepo } from './helpers/repo-builder.js'

const fixture = (...path: string[]): Buffer => readFileSync(join(fixturesDir, ...path))
const rockyXml = fixture('updateinfo', 'vuln-list-update__rocky_happy_updateinfo.xml')
const amznXml = fixture('updateinfo', 'vuln-list-update__amazon_updateinfo_2_items.xml')
const amznIds = ['ALAS2-2018-942', 'ALAS2-2018-949']

/** amzn's good version plus one more advisory: what a hostile source would like us to ingest. */
function amznPlus (id: string): string {
  return amznXml.toString('utf8').replace('</updates>', `<update from="x@example.org" status="final" type="security" version="1"><id>${id}</id>` +
    '<title>Important: added</title><issued date="2024-01-01 00:00"/><severity>Important</severity></update></updates>')
}

const updateinfoHref = 'repodata/updateinfo.xml.gz'

function baseurl (productId: string, url: string, allowedHosts: string[] = []): RepoSpec {
  return { productId, productName: productId, url, kind: 'baseurl', baseurls: [url], name: null, allowedHosts }
}

function mirrorlist (productId: string, url: string, allowedHosts: string[] = []): RepoSpec {
  return { productId, productName: productId, url, kind: 'mirrorlist', baseurls: [], name: null, allowedHosts }
}

interface Lab { dir: string, db: string, amzn: RepoSpec, rocky: RepoSpec, before: string }

/** A database with good data: amzn (as `amzn` says) and rocky (a local repo), both ingested. */
async function goodLab (t: Test, amzn: RepoSpec, dir = tempDir(t)): Promise<Lab> {
  const db = join(dir, 'db.sqlite')
  const rockyRoot = join(dir, 'rocky')
  writeRepo(rockyRoot, rockyXml)
  const rocky = baseurl('rocky', rockyRoot)
  const first = await runIngest({ dbPath: db, repos: [amzn, rocky], fetch: { backoffMs: 10 } })
  t.strictSame(first.repos.map((r) => [r.product, r.status, r.added, r.error]), [['amzn', 'ok', 2, null], ['rocky', 'ok', 4, null]], 'the good data is in')
  return { dir, db, amzn, rocky, before: snapshot(db) }
}

interface Outcome { amzn: RepoResult, rocky: RepoResult, warnings: string[], interrupted: boolean }

async function ingestBoth (lab: Lab, options: Partial<RunOptions> & { amzn?: RepoSpec } = {}): Promise<Outcome> {
  const warnings: string[] = []
  const { amzn, ...rest } = options
  const summary = await runIngest({
    dbPath: lab.db,
    repos: [amzn ?? lab.amzn, lab.rocky],
    log: { info: () => {}, warn: (m) => { warnings.push(m) } },
    ...rest,
    fetch: { backoffMs: 10, ...rest.fetch }
  })
  return { amzn: summary.repos[0]!, rocky: summary.repos[1]!, warnings, interrupted: summary.interrupted }
}

/** amzn failed with `cause`, nothing changed, rocky was still read. */
function assertRefused (t: Test, lab: Lab, outcome: Outcome, cause: RegExp | string): void {
  const { amzn, rocky } = outcome
  t.equal(amzn.status, 'failed', 'the repo fails')
  t.strictSame([amzn.added, amzn.changed, amzn.unchanged, amzn.withdrawn], [0, 0, 0, 0], 'and reports no counts')
  t.equal(amzn.error?.startsWith(`amzn repo ${lab.amzn.url}: `), true, `the error names the product and the repo: ${amzn.error ?? 'null'}`)
  if (typeof cause === 'string') t.equal(amzn.error, `amzn repo ${lab.amzn.url}: ${cause}`, 'the error names the cause')
  else t.match(amzn.error, cause, 'the error names the cause')
  t.strictSame([rocky.status, rocky.error], ['unchanged', null], 'the other repo is still read')
  t.strictSame(readRows(lab.db, 'PRAGMA integrity_check'), [{ integrity_check: 'ok' }])
  t.equal(snapshot(lab.db), lab.before, 'every advisory table and the search index are exactly as before')
  t.strictSame(readRows(lab.db, "SELECT last_status, last_error FROM repo WHERE product_id = 'amzn'"), [{ last_status: 'failed', last_error: amzn.error }],
    'the error shown on /products is the same')
}

const amznAdvisories = (db: string): string[] => readRows<{ id: string }>(db, "SELECT id FROM advisory WHERE product_id = 'amzn' ORDER BY id").map((r) => r.id)

const sleep = async (ms: number): Promise<void> => await new Promise((resolve) => setTimeout(resolve, ms))

// ---------------------------------------------------------------------------------------------
// Item 9: every hop of a redirect obeys the rules of the first URL; public errors name no foreign bytes

t.test('9: a redirect to another host is refused on every file; allowedHosts lets it through', async (t) => {
  const www = tempDir(t)
  const server = await startServer(t, { root: www })
  const other = await startServer(t, { root: tempDir(t) })
  writeRepo(join(www, 'amzn'), amznXml)
  const lab = await goodLab(t, baseurl('amzn', server.url('/amzn/')))
  const home = `127.0.0.1:${server.port}`
  const foreign = `127.0.0.1:${other.port}`
  t.beforeEach(() => { server.clearRules(); server.clearLog(); other.clearLog() })

  // The other host serves a repo with one advisory more, and the repo's own updateinfo redirects to it.
  const built = writeRepo(join(other.root, 'amzn'), amznPlus('FOREIGN-2024:0001'))
  writeRepo(join(www, 'amzn'), amznPlus('FOREIGN-2024:0001'))
  const updateinfo = '/amzn/repodata/updateinfo.xml.gz'
  t.equal(readFileSync(join(www, 'amzn', updateinfoHref)).equals(readFileSync(built.updateinfoPath)), true)

  t.test('updateinfo on the repo host redirecting to another host: refused, the other host never asked', async (t) => {
    server.on(updateinfo, { redirect: other.url(updateinfo) })
    assertRefused(t, lab, await ingestBoth(lab),
      `refusing a redirect from ${server.url(updateinfo)} to host ${foreign}, which is not ${home} and not in allowedHosts`)
    t.equal(other.log.length, 0, 'nothing was requested from the other host')
  })

  t.test('repomd.xml redirecting to another host: refused', async (t) => {
    server.on('/amzn/repodata/repomd.xml', { redirect: other.url('/amzn/repodata/repomd.xml') })
    assertRefused(t, lab, await ingestBoth(lab), /refusing a redirect from .*repomd\.xml to host 127\.0\.0\.1:\d+, which is not 127\.0\.0\.1:\d+ and not in allowedHosts$/)
    t.equal(other.log.length, 0)
  })

  t.test('a redirect chain that comes back to the repo host after another host: refused at the first foreign hop', async (t) => {
    server.on(updateinfo, { redirect: other.url('/bounce') })
    other.on('/bounce', { redirect: server.url('/amzn/repodata/updateinfo-real.xml.gz') })
    assertRefused(t, lab, await ingestBoth(lab), /to host 127\.0\.0\.1:\d+, which is not/)
    t.equal(other.log.length, 0)
  })

  t.test('a mirrorlist redirecting to another host: refused', async (t) => {
    writeFileSync(join(other.root, 'mirror.list'), `${other.url('/amzn/')}\n`)
    server.on('/mirror.list', { redirect: other.url('/mirror.list') })
    const r = (await runIngest({ dbPath: join(lab.dir, 'ml.sqlite'), repos: [mirrorlist('ml', server.url('/mirror.list'))] })).repos[0]!
    t.equal(r.status, 'failed')
    t.equal(r.error, `ml repo ${server.url('/mirror.list')}: mirrorlist: refusing a redirect from ${server.url('/mirror.list')} to host ${foreign}, which is not ${home} and not in allowedHosts`)
    t.equal(other.log.length, 0)
  })

  t.test('the same redirect with the other host in allowedHosts (name:port): followed and ingested', async (t) => {
    server.on(updateinfo, { redirect: other.url(updateinfo) })
    const { amzn } = await ingestBoth(lab, { amzn: baseurl('amzn', lab.amzn.url, [foreign]) })
    t.strictSame([amzn.status, amzn.error, amzn.added, amzn.unchanged], ['ok', null, 1, 2])
    t.strictSame(other.log.map((r) => r.path), [updateinfo], 'the updateinfo came from the other host')
    t.strictSame(amznAdvisories(lab.db), ['ALAS2-2018-942', 'ALAS2-2018-949', 'FOREIGN-2024:0001'])
  })
})

t.test('9: a checksum mismatch says what failed, not the hash of the bytes received', async (t) => {
  const www = tempDir(t)
  const server = await startServer(t, { root: www })
  writeRepo(join(www, 'amzn'), amznXml)
  const lab = await goodLab(t, baseurl('amzn', server.url('/amzn/')))

  t.test('checksum', async (t) => {
    const claimed = 'cd'.repeat(32)
    const built = writeRepo(join(www, 'amzn'), amznPlus('SUM-2024:0001'), { claim: { checksum: claimed } })
    const outcome = await ingestBoth(lab)
    const url = server.url(`/amzn/${updateinfoHref}`)
    assertRefused(t, lab, outcome, `sha256 checksum mismatch for ${url}: repomd.xml says ${claimed}, the downloaded file differs`)
    t.equal(outcome.amzn.error?.includes(built.checksum), false, 'the hash of the fetched bytes is not shown')
  })

  t.test('open-checksum', async (t) => {
    const open = Buffer.from(amznPlus('SUM-2024:0003'))
    writeRepo(join(www, 'amzn'), open, { claim: { openChecksum: 'ab'.repeat(32) } })
    const outcome = await ingestBoth(lab)
    assertRefused(t, lab, outcome, `open-checksum (sha256) mismatch: repomd.xml says ${'ab'.repeat(32)}, the decompressed file differs`)
    t.equal(outcome.amzn.error?.includes(sha256(open)), false, 'the hash of the decompressed bytes is not shown')
  })
})

// ---------------------------------------------------------------------------------------------
// Item 10: no local file through a remote mirrorlist or a symbolic link

t.test('10: a remote mirrorlist may list only http(s) mirrors', async (t) => {
  const www = tempDir(t)
  const server = await startServer(t, { root: www })
  writeRepo(join(www, 'amzn'), amznXml)
  writeFileSync(join(www, 'mirror.list'), `${server.url('/amzn/')}\n`)
  const dir = tempDir(t)
  const lab = await goodLab(t, mirrorlist('amzn', server.url('/mirror.list')), dir)
  // A local repo the mirrorlist would like us to read: it has an advisory the real mirror has not.
  const local = join(dir, 'local-repo')
  writeRepo(local, amznPlus('LOCAL-2024:0001'))

  t.test('file:// and plain-path mirrors are skipped; the http mirror is used', async (t) => {
    writeFileSync(join(www, 'mirror.list'), `${pathToFileURL(local).href}/\n${local}\n${server.url('/amzn/')}\n`)
    const { amzn, rocky, warnings } = await ingestBoth(lab)
    t.strictSame([amzn.status, amzn.error, rocky.status], ['unchanged', null, 'unchanged'])
    t.strictSame(warnings, [`amzn ${server.url('/mirror.list')}: 2 mirror(s) skipped: a remote mirrorlist may list only http and https mirrors`])
    t.strictSame(readRows(lab.db, "SELECT base_url FROM repo WHERE product_id = 'amzn'"), [{ base_url: server.url('/amzn/') }])
    t.equal(snapshot(lab.db), lab.before)
    t.strictSame(amznAdvisories(lab.db), amznIds, 'nothing of the local repo was read')
  })

  t.test('only local mirrors: refused without a word on what exists locally', async (t) => {
    writeFileSync(join(www, 'mirror.list'), `file:///etc/\n${pathToFileURL(local).href}/\n/nonexistent/\n`)
    const outcome = await ingestBoth(lab)
    assertRefused(t, lab, outcome,
      `the mirrorlist ${server.url('/mirror.list')} lists no http or https mirrors (3 other entries skipped: a remote mirrorlist may not point to local files)`)
    t.notMatch(outcome.amzn.error, /does not exist|local-repo|nonexistent|\/etc/)
  })

  t.test('a local mirrorlist (the operator\'s own file) may still list local mirrors', async (t) => {
    const list = join(dir, 'local.list')
    writeFileSync(list, `${local}\n`)
    const r = (await runIngest({ dbPath: join(dir, 'local.sqlite'), repos: [mirrorlist('loc', list)] })).repos[0]!
    t.strictSame([r.status, r.error, r.added], ['ok', null, 3])
  })
})

t.test('10: a symbolic link in a local repo may not lead outside it', async (t) => {
  const dir = tempDir(t)
  const root = join(dir, 'amzn')
  writeRepo(root, amznXml)
  const lab = await goodLab(t, baseurl('amzn', root), dir)
  // Outside the repo: a complete repo with one advisory more (its checksums are right).
  const outside = join(dir, 'outside')
  const built = writeRepo(outside, amznPlus('OUTSIDE-2024:0001'))

  t.test('repodata/updateinfo.xml.gz -> a file outside the repo: refused', async (t) => {
    writeRepo(root, amznPlus('OUTSIDE-2024:0001'))
    const link = join(root, updateinfoHref)
    rmSync(link)
    symlinkSync(built.updateinfoPath, link)
    assertRefused(t, lab, await ingestBoth(lab), `${link} leads outside the repo ${root}/ through a symbolic link; refused`)
  })

  t.test('a dangling link gets the same answer (no hint of what exists outside)', async (t) => {
    const link = join(root, updateinfoHref)
    rmSync(link)
    symlinkSync(join(dir, 'no-such-file'), link)
    assertRefused(t, lab, await ingestBoth(lab), `${link} leads outside the repo ${root}/ through a symbolic link; refused`)
  })

  t.test('repodata itself a link to a directory outside: refused at repomd.xml', async (t) => {
    rmSync(join(root, 'repodata'), { recursive: true })
    symlinkSync(join(outside, 'repodata'), join(root, 'repodata'))
    assertRefused(t, lab, await ingestBoth(lab), `${join(root, 'repodata', 'repomd.xml')} leads outside the repo ${root}/ through a symbolic link; refused`)
  })

  t.test('a link that stays inside the repo is followed', async (t) => {
    rmSync(join(root, 'repodata'), { force: true, recursive: true })
    const inside = writeRepo(join(root, 'store'), amznPlus('INSIDE-2024:0001'))
    writeRepo(root, amznPlus('INSIDE-2024:0001'))
    rmSync(join(root, updateinfoHref))
    symlinkSync(join('..', 'store', updateinfoHref), join(root, updateinfoHref))
    t.equal(readFileSync(join(root, updateinfoHref)).equals(readFileSync(inside.updateinfoPath)), true)
    const { amzn } = await ingestBoth(lab)
    t.strictSame([amzn.status, amzn.error, amzn.added], ['ok', null, 1])
  })
})

// ---------------------------------------------------------------------------------------------
// Item 11: an overall deadline per download, and a signal stops a download in progress

/** A server for amzn whose updateinfo drips one byte every `everyMs`; `sent` counts the bytes dripped. */
async function drippingRepo (t: Test, www: string, everyMs: number): Promise<{ url: string, sent: () => number }> {
  let sent = 0
  const server = await startRawServer(t, (_req, res, path) => {
    if (path === `/amzn/${updateinfoHref}` && existsSync(join(www, 'drip'))) {
      drip(res, fileUnder(www, path)!, everyMs, (n) => { sent = n })
      return
    }
    serveFile(www, path, res)
  })
  return { url: server.url('/amzn/'), sent: () => sent }
}

t.test('11: a server that drips bytes fails at the deadline, not after the whole file', async (t) => {
  const www = tempDir(t)
  writeRepo(join(www, 'amzn'), amznXml)
  const { url } = await drippingRepo(t, www, 50)
  const lab = await goodLab(t, baseurl('amzn', url))
  const built = writeRepo(join(www, 'amzn'), amznPlus('DRIP-2024:0001'))
  writeFileSync(join(www, 'drip'), '')
  t.ok(readFileSync(built.updateinfoPath).length > 500, 'the file would take more than 25 s at this rate')
  t.equal(defaultFetchOptions.deadlineMs, 600_000, 'the default deadline is 10 minutes')

  t.test('runIngest, deadlineMs 1500 (the progress timeout, 1 s, never fires)', async (t) => {
    const started = Date.now()
    const outcome = await ingestBoth(lab, { fetch: { deadlineMs: 1500, timeoutMs: 1000 } })
    const elapsed = Date.now() - started
    assertRefused(t, lab, outcome, `the download of ${url}${updateinfoHref} did not finish within the 1500 ms deadline (--download-deadline)`)
    t.ok(elapsed < 6000, `failed soon after the deadline (${elapsed} ms)`)
  })

  t.test('the CLI: --download-deadline 2', async (t) => {
    const started = Date.now()
    const res = await spawnCli(t, ['--db', lab.db, '--json', '--repo', url, '--product', 'amzn', '--repo', lab.rocky.url, '--product', 'rocky', '--download-deadline', '2']).done
    const elapsed = Date.now() - started
    t.equal(res.code, 1, res.stderr)
    const repos = (JSON.parse(res.stdout) as { repos: Array<{ status: string, error: string | null }> }).repos
    t.strictSame(repos.map((r) => [r.status, r.error]), [
      ['failed', `amzn repo ${url}: the download of ${url}${updateinfoHref} did not finish within the 2-second deadline (--download-deadline)`],
      ['unchanged', null]
    ])
    t.ok(elapsed < 12_000, `exited soon after the deadline (${elapsed} ms)`)
    t.equal(snapshot(lab.db), lab.before)
  })
})

t.test('11: SIGTERM during a download stops it at once: exit 143, the repo failed, nothing written', async (t) => {
  const www = tempDir(t)
  writeRepo(join(www, 'amzn'), amznXml)
  const { url, sent } = await drippingRepo(t, www, 100)
  const lab = await goodLab(t, baseurl('amzn', url))
  writeRepo(join(www, 'amzn'), amznPlus('DRIP-2024:0002'))
  writeFileSync(join(www, 'drip'), '')

  const proc = spawnCli(t, ['--db', lab.db, '--json', '--repo', url, '--product', 'amzn', '--repo', lab.rocky.url, '--product', 'rocky'])
  await waitUntil(() => sent() >= 10, 30_000)
  const signalled = Date.now()
  proc.child.kill('SIGTERM')
  const res = await Promise.race([proc.done, sleep(10_000).then(() => null)])
  if (res === null) {
    t.fail('still running 10 s after SIGTERM')
    return
  }
  t.ok(Date.now() - signalled < 5000, `exited ${Date.now() - signalled} ms after SIGTERM`)
  t.equal(res.code, 143, res.stderr)
  t.match(res.stderr, 'ingest: SIGTERM received')
  const repos = (JSON.parse(res.stdout) as { repos: Array<{ product: string, status: string, error: string | null }> }).repos
  t.strictSame(repos.map((r) => [r.product, r.status, r.error]), [
    ['amzn', 'failed', `amzn repo ${url}: the download of ${url}${updateinfoHref} was interrupted: the run is stopping`],
    ['rocky', 'failed', 'not ingested: the run was interrupted']
  ])
  t.ok(sent() < 100, `the download was not finished (${sent()} bytes sent)`)
  t.equal(snapshot(lab.db), lab.before, 'nothing written')
  t.strictSame(readRows(lab.db, 'SELECT status FROM ingest_run ORDER BY id DESC LIMIT 1'), [{ status: 'interrupted' }])
})

t.test('11: a signal after the download lets the repo being written commit', async (t) => {
  const dir = tempDir(t)
  const root = join(dir, 'amzn')
  writeRepo(root, amznXml)
  const lab = await goodLab(t, baseurl('amzn', root), dir)
  writeRepo(root, amznPlus('LATE-2024:0001'))
  const controller = new AbortController()
  const outcome = await ingestBoth(lab, { signal: controller.signal, onProgress: (p) => { if (p.phase === 'parse') controller.abort() } })
  t.strictSame([outcome.amzn.status, outcome.amzn.added, outcome.rocky.status, outcome.interrupted], ['ok', 1, 'failed', true])
  t.strictSame(amznAdvisories(lab.db), [...amznIds, 'LATE-2024:0001'])
})

t.test('11: --download-deadline SECONDS', async (t) => {
  const base = ['--repo', 'http://127.0.0.1:1/r/', '--product', 'p']
  t.equal(parseCliArgs([...base, '--download-deadline', '90'], {}).downloadDeadlineMs, 90_000)
  t.equal(parseCliArgs(base, {}).downloadDeadlineMs, undefined, 'the default (10 minutes) comes from defaultFetchOptions')
  t.throws(() => parseCliArgs([...base, '--download-deadline', '0'], {}), new UsageError('--download-deadline: must be at least 1'))
  t.throws(() => parseCliArgs([...base, '--download-deadline', '5m'], {}), new UsageError('--download-deadline: "5m" is not a whole number'))
})

// ---------------------------------------------------------------------------------------------
// Item 14: credentials in repo URLs

t.test('14: user:token@ in a repo URL is sent as Basic auth to that host only and stored nowhere', async (t) => {
  const user = 'llsc-user'
  const token = 'Tok3n-9f8e7d6c5b4a'
  const basic = Buffer.from(`${user}:${token}`).toString('base64')
  const www = tempDir(t)
  writeRepo(join(www, 'amzn'), amznXml)
  const cdn = await startServer(t, { root: tempDir(t) })
  writeRepo(join(cdn.root, 'amzn'), amznXml)
  const server = await startRawServer(t, (req, res, path) => {
    if (req.headers.authorization !== `Basic ${basic}`) {
      res.writeHead(401, { 'www-authenticate': 'Basic realm="repo"', 'content-length': '0' })
      res.end()
      return
    }
    // The updateinfo lives on another host (allowed): the credentials must not follow it there.
    if (path === `/amzn/${updateinfoHref}`) {
      res.writeHead(302, { location: cdn.url(path), 'content-length': '0' })
      res.end()
      return
    }
    serveFile(www, path, res)
  })
  const dir = tempDir(t)
  const db = join(dir, 'db.sqlite')
  const rocky = join(dir, 'rocky')
  writeRepo(rocky, rockyXml)
  const clean = server.url('/amzn/')
  const secret = clean.replace('http://', `http://${user}:${token}@`)
  const missing = server.url('/missing/').replace('http://', `http://${user}:${token}@`)
  const args = ['--db', db, '--repo', secret, '--product', 'amzn', '--repo', missing, '--product', 'gone', '--repo', rocky, '--product', 'rocky',
    '--allow-host', `127.0.0.1:${cdn.port}`, '--retries', '0']

  const first = await spawnCli(t, [...args, '--log-format', 'text']).done
  t.strictSame(readRows(db, "SELECT url, base_url, updateinfo_url FROM repo WHERE product_id = 'amzn'"),
    [{ url: clean, base_url: clean, updateinfo_url: server.url(`/amzn/${updateinfoHref}`) }], 'the repo is known by its URL without credentials')
  const second = await spawnCli(t, [...args, '--json']).done
  t.equal(first.code, 1, first.stderr)
  t.match(first.stdout, /^amzn +ok +2 /m)
  t.match(first.stderr, `amzn: ingesting ${clean}`)
  t.match(first.stderr, `gone: FAILED gone repo ${server.url('/missing/')}: HTTP 404 Not Found: ${server.url('/missing/repodata/repomd.xml')} does not exist`)
  t.equal(second.code, 1, second.stderr)
  t.strictSame((JSON.parse(second.stdout) as { repos: Array<{ url: string, status: string }> }).repos.map((r) => [r.url, r.status]),
    [[clean, 'unchanged'], [server.url('/missing/'), 'failed'], [rocky, 'unchanged']])

  t.strictSame(amznAdvisories(db), amznIds, 'ingested with the credentials')
  t.strictSame(readRows(db, 'SELECT count(*) AS n FROM repo'), [{ n: 3 }], 'one row per repo: the second run found the same ones')
  t.ok(server.log.every((r) => r.headers.authorization === `Basic ${basic}`), 'every request to the repo host carried the credentials')
  t.ok(server.log.length >= 4)
  t.strictSame(cdn.requests().map((r) => [r.path, r.headers.authorization]), [[`/amzn/${updateinfoHref}`, undefined]], 'none went to the other host')

  const dbBytes = Buffer.concat([db, `${db}-wal`].filter((f) => existsSync(f)).map((f) => readFileSync(f)))
  for (const [name, text] of [['the database and its WAL', dbBytes.toString('latin1')], ['stdout', first.stdout + second.stdout], ['stderr', first.stderr + second.stderr]] as const) {
    t.equal(text.includes(token), false, `the token is not in ${name}`)
    t.equal(text.includes(basic), false, `the Basic value is not in ${name}`)
    t.equal(text.includes(`${user}:`), false, `the user is not in ${name}`)
  }
})

t.test('14: runIngest with credentials in a RepoSpec: the result and the run log are without them', async (t) => {
  const www = tempDir(t)
  writeRepo(join(www, 'amzn'), amznXml)
  const server = await startRawServer(t, (req, res, path) => {
    if (req.headers.authorization !== `Basic ${Buffer.from('u:p@ss/w').toString('base64')}`) { res.writeHead(401, { 'content-length': '0' }); res.end(); return }
    serveFile(www, path, res)
  })
  const clean = server.url('/amzn/')
  const r = (await runIngest({ dbPath: join(tempDir(t), 'db.sqlite'), repos: [baseurl('amzn', clean.replace('http://', 'http://u:p%40ss%2Fw@'))] })).repos[0]!
  t.strictSame([r.url, r.status, r.error, r.added], [clean, 'ok', null, 2], 'percent-encoded user and password are decoded for the header')
})

t.test('14: rows an earlier version stored with credentials in the URL are cleaned by the next run', async (t) => {
  const token = 'Old-T0ken-1234abcd'
  const www = tempDir(t)
  writeRepo(join(www, 'amzn'), amznXml)
  const server = await startRawServer(t, (req, res, path) => {
    if (req.headers.authorization !== `Basic ${Buffer.from(`u:${token}`).toString('base64')}`) { res.writeHead(401, { 'content-length': '0' }); res.end(); return }
    serveFile(www, path, res)
  })
  const clean = server.url('/amzn/')
  const secret = clean.replace('http://', `http://u:${token}@`)
  const db = join(tempDir(t), 'db.sqlite')
  t.equal((await runIngest({ dbPath: db, repos: [baseurl('amzn', secret)] })).repos[0]?.status, 'ok')
  // What the earlier version wrote (fetch refused the URL, so those repos only ever failed).
  const old = new Database(db)
  const oldError = (product: string, url: string): string => `${product} repo ${url}: cannot fetch ${url}repodata/repomd.xml: Request cannot be constructed from a URL that includes credentials: ${url}repodata/repomd.xml`
  old.prepare("INSERT INTO product (id, name, created_at) VALUES ('gone', 'gone', '2024-01-01T00:00:00Z')").run()
  for (const [product, url] of [['amzn', secret], ['gone', server.url('/gone/').replace('http://', `http://u:${token}@`)]] as const) {
    const id = old.prepare("INSERT INTO repo (product_id, url, kind, last_status, last_error) VALUES (?, ?, 'baseurl', 'failed', ?)").run(product, url, oldError(product, url)).lastInsertRowid
    old.prepare("INSERT INTO ingest_log (run_id, repo_id, url, started_at, finished_at, status, error) VALUES (1, ?, ?, '2024-01-01T00:00:00Z', '2024-01-01T00:00:00Z', 'failed', ?)").run(id, url, oldError(product, url))
  }
  old.close()
  const bytes = (): string => Buffer.concat([db, `${db}-wal`].filter((f) => existsSync(f)).map((f) => readFileSync(f))).toString('latin1')
  t.equal(bytes().includes(token), true, 'the token is in the database as an earlier version left it')

  const r = (await runIngest({ dbPath: db, repos: [baseurl('amzn', secret)] })).repos[0]!
  t.strictSame([r.status, r.error], ['unchanged', null])
  t.strictSame(readRows(db, 'SELECT product_id, url FROM repo ORDER BY id'), [{ product_id: 'amzn', url: clean }, { product_id: 'gone', url: server.url('/gone/') }],
    'the old amzn row is merged into the clean one, the other renamed')
  t.strictSame(readRows(db, 'SELECT count(*) AS n FROM ingest_log'), [{ n: 4 }], 'the run log is kept')
  t.equal(bytes().includes(token), false, 'the token is gone from the database file and its WAL')
})

// ---------------------------------------------------------------------------------------------
// Item 17: Content-Encoding: gzip on top of a .gz

t.test('17: a .gz sent with Content-Encoding: gzip', async (t) => {
  const www = tempDir(t)
  const server = await startServer(t, { root: www })
  writeRepo(join(www, 'amzn'), amznXml)
  const lab = await goodLab(t, baseurl('amzn', server.url('/amzn/')))
  const updateinfo = `/amzn/${updateinfoHref}`
  t.beforeEach(() => { server.clearRules() })

  t.test('the header only (the bytes are the file): taken as sent and ingested', async (t) => {
    const built = writeRepo(join(www, 'amzn'), amznPlus('ENC-2024:0001'))
    server.on(updateinfo, { body: readFileSync(built.updateinfoPath), headers: { 'content-encoding': 'gzip', 'content-type': 'application/x-gzip' } })
    const { amzn } = await ingestBoth(lab)
    t.strictSame([amzn.status, amzn.error, amzn.added], ['ok', null, 1])
    t.strictSame(amznAdvisories(lab.db), [...amznIds, 'ENC-2024:0001'])
    lab.before = snapshot(lab.db)
  })

  t.test('gzip on the fly over the .gz (two layers sent): refused, naming the Content-Encoding', async (t) => {
    const built = writeRepo(join(www, 'amzn'), amznPlus('ENC-2024:0002'))
    const twice = gzipSync(readFileSync(built.updateinfoPath))
    server.on(updateinfo, { body: twice, headers: { 'content-encoding': 'gzip' } })
    const size = readFileSync(built.updateinfoPath).length
    assertRefused(t, lab, await ingestBoth(lab),
      `size mismatch for ${server.url(updateinfo)}: repomd.xml says ${size} bytes, got ${twice.length} (the server sent it with Content-Encoding: gzip, a web-server misconfiguration on top of the file)`)
  })
})
