// Ingest over HTTP against a loopback server: mirrors, status codes, retries, timeouts, redirects,
// limits, conditional requests, the unchanged shortcut, checksum and size checks, every compression,
// and an advisory shared by two repos of one product (union, withdrawal, return, history).
import t from 'tap'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import type { RepoSpec } from '../ingest/config.js'
import { defaultFetchOptions } from '../ingest/fetcher.js'
import { runIngest, type RunOptions, type RunSummary } from '../ingest/run.js'
import { runCli } from './helpers/cli.js'
import { readRows, snapshot } from './helpers/db.js'
import { deadPort, startServer, type TestServer } from './helpers/http-server.js'
import { fixturesDir, tempDir } from './helpers/paths.js'
import { sha256, writeRepo } from './helpers/repo-builder.js'
import { testDb } from './helpers/test-app.js'

const rockyPath = join(fixturesDir, 'updateinfo', 'vuln-list-update__rocky_happy_updateinfo.xml')
const rockyXml = readFileSync(rockyPath)
const rockyIds = ['RLBA-2021:2580', 'RLSA-2019:1972', 'RLSA-2021:2575', 'RLSA-2021:3057']

const repomdPath = (prefix: string): string => `${prefix}repodata/repomd.xml`
const updateinfoPath = (prefix: string): string => `${prefix}repodata/updateinfo.xml.gz`

function baseurlSpec (url: string, productId = 'rocky8'): RepoSpec {
  return { productId, productName: productId, url, kind: 'baseurl', baseurls: [url], name: null, allowedHosts: [] }
}

async function ingest (dbPath: string, repos: RepoSpec[], extra: Partial<RunOptions> = {}): Promise<RunSummary> {
  return await runIngest({ dbPath, repos, fetch: { backoffMs: 10 }, ...extra })
}

interface Fixture { dir: string, dbPath: string, server: TestServer }

interface Teardown { teardown: (fn: () => void | Promise<void>) => void }

// Only the temporary database from test-app.ts: these tests ingest over HTTP with their own options, and build no app.
async function setup (t: Teardown, serverOptions: { etag?: boolean, lastModified?: boolean } = {}): Promise<Fixture> {
  const { dir, dbPath } = testDb(t)
  const root = join(dir, 'www')
  mkdirSync(root)
  const server = await startServer(t, { root, ...serverOptions })
  return { dir, dbPath, server }
}

const counts = (r: RunSummary['repos'][number] | undefined): unknown => r === undefined
  ? undefined
  : { status: r.status, added: r.added, changed: r.changed, unchanged: r.unchanged, withdrawn: r.withdrawn, skipped: r.skipped }

const generation = (dbPath: string): string => readRows<{ value: string }>(dbPath, "SELECT value FROM meta WHERE key = 'data_generation'")[0]!.value

// ---------------------------------------------------------------------------------------------

t.test('a repo served over HTTP is ingested, with the User-Agent on every request', async (t) => {
  const { dbPath, server } = await setup(t)
  writeRepo(join(server.root, 'repo'), rockyXml)
  const url = server.url('/repo/')
  const summary = await ingest(dbPath, [baseurlSpec(url)])
  t.same(counts(summary.repos[0]), { status: 'ok', added: 4, changed: 0, unchanged: 0, withdrawn: 0, skipped: 0 })
  t.equal(summary.repos[0]?.error, null)
  t.same(readRows(dbPath, 'SELECT id FROM advisory ORDER BY id').map((r) => r.id), rockyIds)
  t.same(readRows(dbPath, 'SELECT count(*) AS n FROM advisory_package'), [{ n: 7 }])
  t.same(readRows(dbPath, 'SELECT count(*) AS n FROM advisory_reference'), [{ n: 8 }])
  t.same(readRows(dbPath, 'SELECT url, kind, base_url, updateinfo_url, last_status FROM repo'),
    [{ url, kind: 'baseurl', base_url: url, updateinfo_url: server.url(updateinfoPath('/repo/')), last_status: 'ok' }])

  t.same(server.log.map((r) => `${r.method} ${r.path} ${r.status ?? 'none'}`),
    ['GET /repo/repodata/repomd.xml 200', 'GET /repo/repodata/updateinfo.xml.gz 200'])
  for (const r of server.log) t.equal(r.headers['user-agent'], defaultFetchOptions.userAgent, `User-Agent on ${r.path}`)
  t.match(defaultFetchOptions.userAgent, /^lambda-linux-security-center-ingest\//)
})

t.test('mirrorlist: a dead mirror is skipped and the working one is used', async (t) => {
  const { dbPath, server } = await setup(t)
  writeRepo(join(server.root, 'repo'), rockyXml)
  const dead = await deadPort()
  const working = server.url('/repo/')
  writeFileSync(join(server.root, 'mirror.list'), `# mirrors\n\nhttp://127.0.0.1:${dead}/repo/\n${working}\n`)
  const mirrorlist = server.url('/mirror.list')

  t.test('RepoSpec of kind mirrorlist', async (t) => {
    const summary = await ingest(dbPath, [{ productId: 'x', productName: 'X', url: mirrorlist, kind: 'mirrorlist', baseurls: [], name: null, allowedHosts: [] }])
    t.same(counts(summary.repos[0]), { status: 'ok', added: 4, changed: 0, unchanged: 0, withdrawn: 0, skipped: 0 })
    t.equal(summary.repos[0]?.error, null)
    t.same(readRows(dbPath, 'SELECT url, kind, base_url FROM repo'), [{ url: mirrorlist, kind: 'mirrorlist', base_url: working }])
    t.same(readRows(dbPath, 'SELECT count(*) AS n FROM advisory'), [{ n: 4 }])
  })

  t.test('the CLI: --mirrorlist URL --product x', async (t) => {
    const cliDb = join(tempDir(t), 'cli.sqlite')
    const res = await runCli(t, ['--db', cliDb, '--mirrorlist', mirrorlist, '--product', 'x', '--json'])
    t.equal(res.code, 0, res.stderr)
    t.same(JSON.parse(res.stdout), { repos: [{ product: 'x', url: mirrorlist, status: 'ok', added: 4, changed: 0, unchanged: 0, withdrawn: 0, skipped: 0, error: null }] })
    t.same(readRows(cliDb, 'SELECT url, kind, base_url FROM repo'), [{ url: mirrorlist, kind: 'mirrorlist', base_url: working }])
  })
})

t.test('HTTP status codes, retries, timeouts, redirects and size limits', async (t) => {
  const { dir, server } = await setup(t)
  writeRepo(join(server.root, 'repo'), rockyXml)
  const url = server.url('/repo/')
  const repomd = repomdPath('/repo/')
  let n = 0
  const freshDb = (): string => join(dir, `status-${++n}.sqlite`)
  t.beforeEach(() => { server.clearRules(); server.clearLog() })

  t.test('404 on repomd.xml', async (t) => {
    server.on(repomd, { status: 404 })
    const db = freshDb()
    const r = (await ingest(db, [baseurlSpec(url)])).repos[0]!
    t.same(counts(r), { status: 'failed', added: 0, changed: 0, unchanged: 0, withdrawn: 0, skipped: 0 })
    t.equal(r.error, `rocky8 repo ${url}: HTTP 404 Not Found: ${server.url(repomd)} does not exist`)
    t.equal(server.count(repomd), 1, 'a 404 is not retried')
    t.same(readRows(db, 'SELECT last_status, last_error FROM repo'), [{ last_status: 'failed', last_error: r.error }])
    t.same(readRows(db, 'SELECT count(*) AS n FROM advisory'), [{ n: 0 }])
  })

  t.test('403 on repomd.xml', async (t) => {
    server.on(repomd, { status: 403 })
    const r = (await ingest(freshDb(), [baseurlSpec(url)])).repos[0]!
    t.equal(r.status, 'failed')
    t.match(r.error, 'HTTP 403')
    t.equal(server.count(repomd), 1, 'a 403 is not retried')
  })

  t.test('500 twice, then 200: retried', async (t) => {
    server.on(repomd, { status: 500 }, 2)
    const db = freshDb()
    const r = (await ingest(db, [baseurlSpec(url)])).repos[0]!
    t.same(counts(r), { status: 'ok', added: 4, changed: 0, unchanged: 0, withdrawn: 0, skipped: 0 })
    t.same(server.requests(repomd).map((x) => x.status), [500, 500, 200])
    t.same(readRows(db, 'SELECT count(*) AS n FROM advisory'), [{ n: 4 }])
  })

  t.test('429 once, then 200: retried', async (t) => {
    server.on(repomd, { status: 429 }, 1)
    const r = (await ingest(freshDb(), [baseurlSpec(url)])).repos[0]!
    t.equal(r.status, 'ok')
    t.same(server.requests(repomd).map((x) => x.status), [429, 200])
  })

  t.test('500 always: failed after every attempt', async (t) => {
    server.on(repomd, { status: 500 })
    const r = (await ingest(freshDb(), [baseurlSpec(url)])).repos[0]!
    t.equal(r.status, 'failed')
    t.match(r.error, 'HTTP 500')
    t.match(r.error, '(after 4 attempts)')
    t.equal(server.count(repomd), 4, 'one attempt and 3 retries')
  })

  t.test('a server that never answers: timed out', async (t) => {
    server.on(repomd, { hang: true })
    const started = Date.now()
    const r = (await ingest(freshDb(), [baseurlSpec(url)], { fetch: { timeoutMs: 500, retries: 0 } })).repos[0]!
    t.equal(r.status, 'failed')
    t.match(r.error, 'timed out after 500 ms')
    t.equal(server.count(repomd), 1)
    t.ok(Date.now() - started < 10_000, 'gave up soon after the timeout')
  })

  t.test('a server that stops sending the body: timed out', async (t) => {
    // Headers and a part of the body, then silence (the connection stays open).
    server.on(updateinfoPath('/repo/'), { stallAfterBytes: 100 })
    const r = (await ingest(freshDb(), [baseurlSpec(url)], { fetch: { timeoutMs: 500, retries: 0 } })).repos[0]!
    t.equal(r.status, 'failed')
    t.match(r.error, 'timed out after 500 ms')
  })

  t.test('the connection is reset in the middle of the body: retried', async (t) => {
    server.on(updateinfoPath('/repo/'), { resetAfterBytes: 100 }, 1)
    const db = freshDb()
    const r = (await ingest(db, [baseurlSpec(url)])).repos[0]!
    t.same(counts(r), { status: 'ok', added: 4, changed: 0, unchanged: 0, withdrawn: 0, skipped: 0 })
    t.equal(server.count(updateinfoPath('/repo/')), 2)
  })

  t.test('the connection is reset in the middle of the body, no retries: failed, nothing written', async (t) => {
    server.on(updateinfoPath('/repo/'), { resetAfterBytes: 100 })
    const db = freshDb()
    const r = (await ingest(db, [baseurlSpec(url)], { fetch: { retries: 0 } })).repos[0]!
    t.equal(r.status, 'failed')
    t.match(r.error, `cannot fetch ${server.url(updateinfoPath('/repo/'))}: the connection closed before the response was complete`)
    t.same(readRows(db, 'SELECT count(*) AS n FROM advisory'), [{ n: 0 }])
  })

  t.test('a redirect to the repo at another path', async (t) => {
    server.on(/^\/old\//, (req) => ({ status: 301, redirect: req.path.replace(/^\/old\//, '/repo/') }))
    const oldUrl = server.url('/old/')
    const db = freshDb()
    const r = (await ingest(db, [baseurlSpec(oldUrl)])).repos[0]!
    t.same(counts(r), { status: 'ok', added: 4, changed: 0, unchanged: 0, withdrawn: 0, skipped: 0 })
    t.same(server.log.map((x) => `${x.path} ${x.status ?? 'none'}`), [
      '/old/repodata/repomd.xml 301', '/repo/repodata/repomd.xml 200',
      '/old/repodata/updateinfo.xml.gz 301', '/repo/repodata/updateinfo.xml.gz 200'
    ])
  })

  t.test('a redirect loop: too many redirects', async (t) => {
    server.on('/loop/repodata/repomd.xml', { redirect: '/loop/repodata/repomd.xml' })
    const r = (await ingest(freshDb(), [baseurlSpec(server.url('/loop/'))])).repos[0]!
    t.equal(r.status, 'failed')
    t.match(r.error, 'too many redirects')
    t.equal(server.count('/loop/repodata/repomd.xml'), defaultFetchOptions.maxRedirects + 1, 'redirects are followed up to the limit, not retried')
  })

  t.test('a redirect to another scheme is refused', async (t) => {
    server.on(repomd, { redirect: 'ftp://127.0.0.1/repodata/repomd.xml' })
    const r = (await ingest(freshDb(), [baseurlSpec(url)])).repos[0]!
    t.equal(r.status, 'failed')
    t.match(r.error, 'refusing a redirect')
  })

  t.test('a body larger than fetch.maxBytes (Content-Length)', async (t) => {
    const size = readFileSync(join(server.root, 'repo', 'repodata', 'updateinfo.xml.gz')).length
    t.ok(size > 1000 && readFileSync(join(server.root, 'repo', 'repodata', 'repomd.xml')).length < 1000)
    const db = freshDb()
    const r = (await ingest(db, [baseurlSpec(url)], { fetch: { maxBytes: 1000 } })).repos[0]!
    t.equal(r.status, 'failed')
    t.match(r.error, `is ${size} bytes, over the 1000-byte download limit`)
    t.equal(server.count(updateinfoPath('/repo/')), 1, 'not retried')
    t.same(readRows(db, 'SELECT count(*) AS n FROM advisory'), [{ n: 0 }])
  })

  t.test('a body larger than fetch.maxBytes (chunked, no Content-Length)', async (t) => {
    server.on(updateinfoPath('/repo/'), { chunked: true })
    const r = (await ingest(freshDb(), [baseurlSpec(url)], { fetch: { maxBytes: 1000 } })).repos[0]!
    t.equal(r.status, 'failed')
    t.match(r.error, 'sends more than the 1000-byte download limit')
  })
})

t.test('conditional requests: If-None-Match, then 304 and unchanged', async (t) => {
  const { dbPath, server } = await setup(t, { etag: true, lastModified: false })
  writeRepo(join(server.root, 'repo'), rockyXml)
  const url = server.url('/repo/')
  const first = await ingest(dbPath, [baseurlSpec(url)])
  t.equal(first.repos[0]?.status, 'ok')
  const etag = `"${sha256(readFileSync(join(server.root, 'repo', 'repodata', 'repomd.xml'))).slice(0, 24)}"`
  t.same(readRows(dbPath, 'SELECT repomd_etag, repomd_last_modified FROM repo'), [{ repomd_etag: etag, repomd_last_modified: null }])
  t.equal(server.requests(repomdPath('/repo/'))[0]?.headers['if-none-match'], undefined, 'the first run is not conditional')
  const before = snapshot(dbPath)

  server.clearLog()
  const second = await ingest(dbPath, [baseurlSpec(url)])
  t.same(counts(second.repos[0]), { status: 'unchanged', added: 0, changed: 0, unchanged: 0, withdrawn: 0, skipped: 0 })
  t.equal(second.repos[0]?.error, null)
  t.same(server.log.map((r) => `${r.method} ${r.path} ${r.status ?? 'none'}`), ['GET /repo/repodata/repomd.xml 304'])
  t.equal(server.log[0]?.headers['if-none-match'], etag)
  t.equal(server.count(updateinfoPath('/repo/')), 0, 'no GET of the updateinfo file')
  t.equal(snapshot(dbPath), before)
  t.same(readRows(dbPath, 'SELECT last_status, repomd_etag FROM repo'), [{ last_status: 'unchanged', repomd_etag: etag }])
})

t.test('conditional requests: If-Modified-Since, then 304 and unchanged', async (t) => {
  const { dbPath, server } = await setup(t, { etag: false, lastModified: true })
  writeRepo(join(server.root, 'repo'), rockyXml)
  const url = server.url('/repo/')
  t.equal((await ingest(dbPath, [baseurlSpec(url)])).repos[0]?.status, 'ok')
  const [state] = readRows<{ repomd_etag: string | null, repomd_last_modified: string | null }>(dbPath, 'SELECT repomd_etag, repomd_last_modified FROM repo')
  t.equal(state?.repomd_etag, null)
  t.match(state?.repomd_last_modified, /GMT$/)
  server.clearLog()
  const second = await ingest(dbPath, [baseurlSpec(url)])
  t.equal(second.repos[0]?.status, 'unchanged')
  t.same(server.log.map((r) => `${r.path} ${r.status ?? 'none'} ${r.headers['if-modified-since'] ?? 'none'}`),
    [`/repo/repodata/repomd.xml 304 ${state!.repomd_last_modified!}`])
})

t.test('unchanged re-run without ETag support: same checksum, repomd only, no writes', async (t) => {
  const { dbPath, server } = await setup(t, { etag: false, lastModified: false })
  writeRepo(join(server.root, 'repo'), rockyXml)
  const url = server.url('/repo/')
  t.equal((await ingest(dbPath, [baseurlSpec(url)])).repos[0]?.status, 'ok')
  const before = snapshot(dbPath)
  const generationBefore = generation(dbPath)
  t.equal(generationBefore, '1')

  server.clearLog()
  const second = await ingest(dbPath, [baseurlSpec(url)])
  t.same(counts(second.repos[0]), { status: 'unchanged', added: 0, changed: 0, unchanged: 0, withdrawn: 0, skipped: 0 })
  t.same(server.log.map((r) => `${r.method} ${r.path} ${r.status ?? 'none'}`), ['GET /repo/repodata/repomd.xml 200'])
  t.equal(server.log[0]?.headers['if-none-match'], undefined)
  t.equal(server.log[0]?.headers['if-modified-since'], undefined)
  t.equal(snapshot(dbPath), before)
  t.equal(generation(dbPath), generationBefore)
  t.same(readRows(dbPath, 'SELECT status, added, changed, unchanged FROM ingest_log ORDER BY id'),
    [{ status: 'ok', added: 4, changed: 0, unchanged: 0 }, { status: 'unchanged', added: 0, changed: 0, unchanged: 0 }])
})

t.test('checksum and size mismatches are refused and leave the earlier data untouched', async (t) => {
  const { dbPath, server } = await setup(t)
  const repoDir = join(server.root, 'repo')
  writeRepo(repoDir, rockyXml)
  const url = server.url('/repo/')
  t.equal((await ingest(dbPath, [baseurlSpec(url)])).repos[0]?.status, 'ok')
  const before = snapshot(dbPath)
  const changedXml = '<updates><update type="security"><id>RLSA-2030:0001</id></update></updates>'

  writeRepo(repoDir, changedXml, { claim: { checksum: 'ab'.repeat(32) } })
  const bad = await ingest(dbPath, [baseurlSpec(url)])
  t.same(counts(bad.repos[0]), { status: 'failed', added: 0, changed: 0, unchanged: 0, withdrawn: 0, skipped: 0 })
  t.match(bad.repos[0]?.error, 'checksum mismatch')
  t.match(bad.repos[0]?.error, `repomd.xml says ${'ab'.repeat(32)}`)
  t.equal(snapshot(dbPath), before)

  writeRepo(repoDir, changedXml, { claim: { size: 1 } })
  const short = await ingest(dbPath, [baseurlSpec(url)])
  t.equal(short.repos[0]?.status, 'failed')
  t.match(short.repos[0]?.error, 'size mismatch')
  t.match(short.repos[0]?.error, 'repomd.xml says 1 bytes')
  t.equal(snapshot(dbPath), before)

  // The honest file is then ingested normally.
  writeRepo(repoDir, changedXml)
  const good = await ingest(dbPath, [baseurlSpec(url)])
  t.same(counts(good.repos[0]), { status: 'ok', added: 1, changed: 0, unchanged: 0, withdrawn: 4, skipped: 0 })
})

// Everything stored about a product's advisories, without keys and timestamps.
function advisoryContent (dbPath: string): unknown {
  return {
    advisories: readRows(dbPath, `SELECT product_id, id, type, status, version, from_address, author, title, issued, issued_raw,
      updated, updated_raw, severity, severity_raw, summary, description, solution, rights, release, pushcount,
      reboot_suggested, withdrawn FROM advisory ORDER BY id`),
    packages: readRows(dbPath, `SELECT a.id, c.seq AS cseq, c.short, c.name AS cname, p.seq, p.name, p.epoch, p.version,
      p.release, p.arch, p.src, p.filename, p.sum_type, p.sum, p.reboot_suggested, p.restart_suggested, p.relogin_suggested
      FROM advisory_package p JOIN advisory a ON a.pk = p.advisory_pk JOIN advisory_collection c ON c.pk = p.collection_pk
      ORDER BY a.id, c.seq, p.seq`),
    references: readRows(dbPath, `SELECT a.id, r.seq, r.type, r.ref_id, r.href, r.title FROM advisory_reference r
      JOIN advisory a ON a.pk = r.advisory_pk ORDER BY a.id, r.seq`),
    cves: readRows(dbPath, 'SELECT a.id, c.cve FROM advisory_cve c JOIN advisory a ON a.pk = c.advisory_pk ORDER BY a.id, c.cve')
  }
}

t.test('the same updateinfo as gzip, bzip2, xz and zstd gives identical rows', async (t) => {
  const { dir, server } = await setup(t)
  const variants: Array<[string, Buffer]> = [
    ['xml', rockyXml],
    ...['gz', 'bz2', 'xz', 'zst'].map((ext): [string, Buffer] => [ext, readFileSync(join(fixturesDir, 'compression', `rocky_happy_updateinfo.xml.${ext}`))])
  ]
  const contents: Record<string, unknown> = {}
  for (const [ext, stored] of variants) {
    const href = `repodata/${sha256(stored)}-updateinfo.xml${ext === 'xml' ? '' : `.${ext}`}`
    writeRepo(join(server.root, ext), rockyXml, { stored, href })
    const dbPath = join(dir, `${ext}.sqlite`)
    const summary = await ingest(dbPath, [baseurlSpec(server.url(`/${ext}/`))])
    t.same(counts(summary.repos[0]), { status: 'ok', added: 4, changed: 0, unchanged: 0, withdrawn: 0, skipped: 0 }, ext)
    t.equal(summary.repos[0]?.error, null, ext)
    t.equal(server.count(`/${ext}/${href}`), 1, `${ext}: served as ${href}`)
    contents[ext] = advisoryContent(dbPath)
  }
  const reference = contents.xml as { advisories: unknown[], packages: unknown[], references: unknown[], cves: unknown[] }
  t.equal(reference.advisories.length, 4)
  t.equal(reference.packages.length, 7)
  t.equal(reference.references.length, 8)
  for (const ext of ['gz', 'bz2', 'xz', 'zst']) t.same(contents[ext], reference, `${ext} rows equal the plain XML's`)
})

t.test('refused compressions', async (t) => {
  const { dir, server } = await setup(t)
  let n = 0
  const freshDb = (): string => join(dir, `c-${++n}.sqlite`)

  t.test('.zck is unsupported', async (t) => {
    const stored = Buffer.concat([Buffer.from('\0ZCK1'), Buffer.alloc(64, 1)])
    writeRepo(join(server.root, 'zck'), rockyXml, { stored, href: `repodata/${sha256(stored)}-updateinfo.xml.zck` })
    const r = (await ingest(freshDb(), [baseurlSpec(server.url('/zck/'))])).repos[0]!
    t.equal(r.status, 'failed')
    t.match(r.error, 'unsupported')
  })

  t.test('a .gz that is plain XML', async (t) => {
    writeRepo(join(server.root, 'liar'), rockyXml, { stored: rockyXml, href: 'repodata/updateinfo.xml.gz' })
    const db = freshDb()
    const r = (await ingest(db, [baseurlSpec(server.url('/liar/'))])).repos[0]!
    t.equal(r.status, 'failed')
    t.match(r.error, 'not compressed as its name claims')
    t.same(readRows(db, 'SELECT count(*) AS n FROM advisory'), [{ n: 0 }])
  })

  t.test('a decompression bomb: ~50 MB of spaces', async (t) => {
    const xml = Buffer.concat([Buffer.from('<updates>'), Buffer.alloc(50 * 1024 * 1024, ' '), Buffer.from('</updates>')])
    const stored = gzipSync(xml)
    t.ok(stored.length < 200_000, `small when compressed (${stored.length} bytes)`)
    writeRepo(join(server.root, 'bomb'), xml, { stored })
    const db = freshDb()
    const r = (await ingest(db, [baseurlSpec(server.url('/bomb/'))], { limits: { maxDecompressedBytes: 1_000_000 } })).repos[0]!
    t.equal(r.status, 'failed')
    t.match(r.error, 'limit')
    t.match(r.error, '1000000-byte limit')
    t.same(readRows(db, 'SELECT count(*) AS n FROM advisory'), [{ n: 0 }])
  })
})

// ---------------------------------------------------------------------------------------------
// One advisory in two repos of a product (x86_64 and i686).

interface UpdateOptions { updated?: string, archs: string[], version?: string }

function update (id: string, o: UpdateOptions): string {
  const packages = o.archs.map((arch) => `<package name="demo" version="${o.version ?? '1.0'}" release="1.el9" epoch="0" arch="${arch}" src="demo-1.0-1.el9.src.rpm"><filename>demo-1.0-1.el9.${arch}.rpm</filename></package>`)
  return `<update from="sec@example.org" status="final" type="security" version="1"><id>${id}</id><title>Important: demo security update</title>` +
    `<issued date="2024-01-01 00:00:00"/><updated date="${o.updated ?? '2024-01-02 00:00:00'}"/><severity>Important</severity>` +
    '<references><reference href="https://example.org/CVE-2024-0001" id="CVE-2024-0001" type="cve" title="CVE-2024-0001"/></references>' +
    `<pkglist><collection short="el9"><name>EL9</name>${packages.join('')}</collection></pkglist></update>`
}

const doc = (...updates: string[]): string => `<?xml version="1.0" encoding="UTF-8"?>\n<updates>${updates.join('')}</updates>\n`

t.test('an advisory in two repos of a product: union, removal, withdrawal, return, history', async (t) => {
  const { dbPath, server } = await setup(t)
  const x86 = join(server.root, 'x86_64')
  const i686 = join(server.root, 'i686')
  const specs = [baseurlSpec(server.url('/x86_64/'), 'el9'), baseurlSpec(server.url('/i686/'), 'el9')]
  const run = async (): Promise<RunSummary> => await ingest(dbPath, specs)
  const advisory = (): unknown => readRows(dbPath, "SELECT id, withdrawn, withdrawn_at IS NOT NULL AS has_withdrawn_at, updated_raw FROM advisory WHERE id = 'DEMO-2024:0001'")
  const packages = (): string[] => readRows<{ arch: string, repo: string }>(dbPath, `SELECT p.arch, r.url AS repo FROM advisory_package p
    JOIN advisory a ON a.pk = p.advisory_pk JOIN repo r ON r.id = p.repo_id WHERE a.id = 'DEMO-2024:0001' ORDER BY p.arch, r.url`)
    .map((p) => `${p.arch}@${new URL(p.repo).pathname}`)

  // 1. Both repos list it, with their own packages: one advisory, the union of the packages.
  writeRepo(x86, doc(update('DEMO-2024:0001', { archs: ['x86_64', 'noarch'] }), update('DEMO-2024:0002', { archs: ['x86_64'] })))
  writeRepo(i686, doc(update('DEMO-2024:0001', { archs: ['i686'] })))
  let s = await run()
  t.same(s.repos.map(counts), [
    { status: 'ok', added: 2, changed: 0, unchanged: 0, withdrawn: 0, skipped: 0 },
    { status: 'ok', added: 0, changed: 1, unchanged: 0, withdrawn: 0, skipped: 0 }
  ], 'step 1 counts')
  t.same(readRows(dbPath, "SELECT count(*) AS n FROM advisory WHERE id = 'DEMO-2024:0001'"), [{ n: 1 }])
  t.same(advisory(), [{ id: 'DEMO-2024:0001', withdrawn: 0, has_withdrawn_at: 0, updated_raw: '2024-01-02 00:00:00' }])
  t.same(packages(), ['i686@/i686/', 'noarch@/x86_64/', 'x86_64@/x86_64/'])
  t.same(readRows(dbPath, "SELECT DISTINCT cve FROM advisory_cve c JOIN advisory a ON a.pk = c.advisory_pk WHERE a.id = 'DEMO-2024:0001'"), [{ cve: 'CVE-2024-0001' }])

  // 2. Removed from i686: kept, with the x86_64 packages only.
  writeRepo(i686, doc(update('DEMO-2024:0003', { archs: ['i686'] })))
  s = await run()
  t.same(s.repos.map(counts), [
    { status: 'unchanged', added: 0, changed: 0, unchanged: 0, withdrawn: 0, skipped: 0 },
    { status: 'ok', added: 1, changed: 1, unchanged: 0, withdrawn: 0, skipped: 0 }
  ], 'step 2 counts')
  t.same(advisory(), [{ id: 'DEMO-2024:0001', withdrawn: 0, has_withdrawn_at: 0, updated_raw: '2024-01-02 00:00:00' }])
  t.same(packages(), ['noarch@/x86_64/', 'x86_64@/x86_64/'])

  // 3. Removed from both: withdrawn, its rows kept.
  writeRepo(x86, doc(update('DEMO-2024:0002', { archs: ['x86_64'] })))
  const advisoriesBefore = readRows(dbPath, 'SELECT count(*) AS n FROM advisory')
  s = await run()
  t.same(s.repos.map(counts), [
    { status: 'ok', added: 0, changed: 0, unchanged: 1, withdrawn: 1, skipped: 0 },
    { status: 'unchanged', added: 0, changed: 0, unchanged: 0, withdrawn: 0, skipped: 0 }
  ], 'step 3 counts')
  t.same(advisory(), [{ id: 'DEMO-2024:0001', withdrawn: 1, has_withdrawn_at: 1, updated_raw: '2024-01-02 00:00:00' }])
  t.same(readRows(dbPath, 'SELECT count(*) AS n FROM advisory'), advisoriesBefore, 'never deleted')
  t.same(packages(), ['noarch@/x86_64/', 'x86_64@/x86_64/'], 'its last content is kept')

  // 4. It comes back (in i686): un-withdrawn.
  writeRepo(i686, doc(update('DEMO-2024:0001', { archs: ['i686'] }), update('DEMO-2024:0003', { archs: ['i686'] })))
  s = await run()
  t.same(s.repos.map(counts), [
    { status: 'unchanged', added: 0, changed: 0, unchanged: 0, withdrawn: 0, skipped: 0 },
    { status: 'ok', added: 0, changed: 1, unchanged: 1, withdrawn: 0, skipped: 0 }
  ], 'step 4 counts')
  t.same(advisory(), [{ id: 'DEMO-2024:0001', withdrawn: 0, has_withdrawn_at: 0, updated_raw: '2024-01-02 00:00:00' }])
  t.same(packages(), ['i686@/i686/'], 'the content of the repo that lists it')
  t.same(readRows(dbPath, 'SELECT count(*) AS n FROM advisory_history'), [{ n: 0 }], 'no date changed so far')

  // 5. Its updated date changes: the previous issued/updated go to advisory_history.
  writeRepo(i686, doc(update('DEMO-2024:0001', { archs: ['i686'], updated: '2024-02-03 04:05:06', version: '1.1' }), update('DEMO-2024:0003', { archs: ['i686'] })))
  s = await run()
  t.same(s.repos.map(counts), [
    { status: 'unchanged', added: 0, changed: 0, unchanged: 0, withdrawn: 0, skipped: 0 },
    { status: 'ok', added: 0, changed: 1, unchanged: 1, withdrawn: 0, skipped: 0 }
  ], 'step 5 counts')
  t.same(advisory(), [{ id: 'DEMO-2024:0001', withdrawn: 0, has_withdrawn_at: 0, updated_raw: '2024-02-03 04:05:06' }])
  t.same(readRows(dbPath, `SELECT a.id, h.issued, h.issued_raw, h.updated, h.updated_raw, h.run_id = (SELECT max(id) FROM ingest_run) AS this_run
    FROM advisory_history h JOIN advisory a ON a.pk = h.advisory_pk`), [{
    id: 'DEMO-2024:0001',
    issued: '2024-01-01T00:00:00Z',
    issued_raw: '2024-01-01 00:00:00',
    updated: '2024-01-02T00:00:00Z',
    updated_raw: '2024-01-02 00:00:00',
    this_run: 1
  }])
  t.same(readRows(dbPath, "SELECT updated FROM advisory WHERE id = 'DEMO-2024:0001'"), [{ updated: '2024-02-03T04:05:06Z' }])

  // 6. Back in x86_64 too: the union again, no new history (the dates did not change).
  const d2 = '2024-02-03 04:05:06'
  writeRepo(x86, doc(update('DEMO-2024:0001', { archs: ['x86_64', 'noarch'], updated: d2, version: '1.1' }), update('DEMO-2024:0002', { archs: ['x86_64'] })))
  s = await run()
  t.same(s.repos.map(counts), [
    { status: 'ok', added: 0, changed: 1, unchanged: 1, withdrawn: 0, skipped: 0 },
    { status: 'unchanged', added: 0, changed: 0, unchanged: 0, withdrawn: 0, skipped: 0 }
  ], 'step 6 counts')
  t.same(packages(), ['i686@/i686/', 'noarch@/x86_64/', 'x86_64@/x86_64/'])
  t.same(readRows(dbPath, 'SELECT count(*) AS n FROM advisory_history'), [{ n: 1 }])

  // 7. A new version in both repos: one history row (the previous dates), changed in both repos.
  const d3 = '2024-03-04 05:06:07'
  writeRepo(x86, doc(update('DEMO-2024:0001', { archs: ['x86_64', 'noarch'], updated: d3, version: '1.2' }), update('DEMO-2024:0002', { archs: ['x86_64'] })))
  writeRepo(i686, doc(update('DEMO-2024:0001', { archs: ['i686'], updated: d3, version: '1.2' }), update('DEMO-2024:0003', { archs: ['i686'] })))
  s = await run()
  t.same(s.repos.map(counts), [
    { status: 'ok', added: 0, changed: 1, unchanged: 1, withdrawn: 0, skipped: 0 },
    { status: 'ok', added: 0, changed: 1, unchanged: 1, withdrawn: 0, skipped: 0 }
  ], 'step 7 counts')
  t.same(readRows(dbPath, `SELECT h.updated_raw FROM advisory_history h JOIN advisory a ON a.pk = h.advisory_pk
    WHERE a.id = 'DEMO-2024:0001' ORDER BY h.rowid`), [{ updated_raw: '2024-01-02 00:00:00' }, { updated_raw: d2 }])
  t.same(advisory(), [{ id: 'DEMO-2024:0001', withdrawn: 0, has_withdrawn_at: 0, updated_raw: d3 }])
  t.same(packages(), ['i686@/i686/', 'noarch@/x86_64/', 'x86_64@/x86_64/'])
  t.same(readRows(dbPath, `SELECT DISTINCT p.version FROM advisory_package p JOIN advisory a ON a.pk = p.advisory_pk
    WHERE a.id = 'DEMO-2024:0001'`), [{ version: '1.2' }])
  t.same(readRows(dbPath, 'SELECT count(*) AS n FROM advisory WHERE product_id = ?', 'el9'), [{ n: 3 }])
})
