// The server under attack, over the demo data plus a hostile product whose advisories carry XSS payloads:
// path traversal, SQL/FTS injection in every filter, absurd values, hostile POST bodies, stored and
// reflected XSS, security headers on every kind of answer, the listen address and slow clients.
// Requests go through app.inject and, where the wire matters, through a real socket on 127.0.0.1.
import t, { type Test } from 'tap'
import Database from 'better-sqlite3'
import { XMLParser } from 'fast-xml-parser'
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import { readFileSync } from 'node:fs'
import { connect, type AddressInfo } from 'node:net'
import { join } from 'node:path'
import type { RepoSpec } from '../ingest/config.js'
import { loadJsonConfig } from '../ingest/config.js'
import { runIngest } from '../ingest/run.js'
import { buildApp } from '../server/app.js'
import { defaultQueryLimits } from '../server/matching/query-answer.js'
import { readServerConfig } from '../server/config.js'
import { readRows, snapshot } from './helpers/db.js'
import { projectDir, tempDir } from './helpers/paths.js'
import { writeRepo } from './helpers/repo-builder.js'

// ---------------------------------------------------------------------------------------------------------
// The hostile product. Every string a page, feed or API shows is a payload; the raw values are kept here so
// the JSON API can be checked for them exactly.

const raw = {
  productName: 'XSS <i>Linux</i>',
  title: '<script>alert(1)</script>',
  description: 'Look: <img src=x onerror=alert(2)> then "><svg onload=alert(3)> and <img src=x onerror="window.__xss=1">.',
  pkg: '<b>pkg</b>',
  oddId: 'X-1"><script>alert(7)</script>',
  cve: 'CVE-2024-99999'
}
const mainId = 'XSS-2024:0001'

const xssXml = `<?xml version="1.0" encoding="UTF-8"?>
<updates>
  <update from="x@example.com" status="final" type="security" version="1">
    <id>${mainId}</id>
    <title>&lt;script&gt;alert(1)&lt;/script&gt;</title>
    <issued date="2024-03-05 06:07:08"/>
    <severity>Critical</severity>
    <description>Look: &lt;img src=x onerror=alert(2)&gt; then "&gt;&lt;svg onload=alert(3)&gt; and &lt;img src=x onerror="window.__xss=1"&gt;.</description>
    <references>
      <reference href="javascript:alert(4)" id="J4" type="vendor" title="j4"/>
      <reference href="JaVaScRiPt:alert(5)" type="vendor"/>
      <reference href=" javascript:alert(6)" type="vendor"/>
      <reference href="java&#x09;script:alert(8)" type="vendor"/>
      <reference href="data:text/html,&lt;script&gt;alert(9)&lt;/script&gt;" type="vendor"/>
      <reference href="https://evil.example/&quot;onmouseover=&quot;alert(10)" id="E10" type="vendor"/>
      <reference href="https://www.cve.org/CVERecord?id=${raw.cve}" id="${raw.cve}" type="cve"/>
    </references>
    <pkglist>
      <collection short="x">
        <package name="&lt;b&gt;pkg&lt;/b&gt;" version="1.0" release="1" arch="x86_64"><filename>pkg-1.0-1.x86_64.rpm</filename></package>
      </collection>
    </pkglist>
  </update>
  <update status="final" type="security" version="1">
    <id>X-1"&gt;&lt;script&gt;alert(7)&lt;/script&gt;</id>
    <title>odd id</title>
    <issued date="2024-03-01"/>
    <severity>Low</severity>
    <pkglist><collection short="x"><package name="&lt;b&gt;pkg&lt;/b&gt;" version="0.9" release="1" arch="x86_64"/></collection></pkglist>
  </update>
</updates>`

// References as the database keeps them: the ingest trims attribute values (ingest/normalize.ts), so the
// leading space of " javascript:alert(6)" is gone before the server ever sees it.
const storedReferences = [
  { type: 'vendor', id: 'J4', href: 'javascript:alert(4)', title: 'j4' },
  { type: 'vendor', id: null, href: 'JaVaScRiPt:alert(5)', title: null },
  { type: 'vendor', id: null, href: 'javascript:alert(6)', title: null },
  { type: 'vendor', id: null, href: 'java\tscript:alert(8)', title: null },
  { type: 'vendor', id: null, href: 'data:text/html,<script>alert(9)</script>', title: null },
  { type: 'vendor', id: 'E10', href: 'https://evil.example/"onmouseover="alert(10)', title: null },
  { type: 'cve', id: raw.cve, href: `https://www.cve.org/CVERecord?id=${raw.cve}`, title: null }
]

const enc = encodeURIComponent
const mainPage = `/xss/${enc(mainId)}`
const oddPage = `/xss/${enc(raw.oddId)}`
const pkgPage = `/packages/${enc(raw.pkg)}`

// ---------------------------------------------------------------------------------------------------------
// Setup: one database, one app, listening on loopback for the tests that need a real socket.

const dir = tempDir(t)
const dbPath = join(dir, 'db.sqlite')
const xssRoot = join(dir, 'xss')
writeRepo(xssRoot, xssXml)
const repos: RepoSpec[] = [
  ...loadJsonConfig(join(projectDir, 'ingest', 'demo', 'config.json')),
  { productId: 'xss', productName: raw.productName, url: xssRoot, kind: 'baseurl', baseurls: [xssRoot], name: 'xss', allowedHosts: [] }
]
const ingest = await runIngest({ dbPath, repos })
t.same(ingest.repos.map((r) => r.status), Array(repos.length).fill('ok'), 'demo and hostile repos ingested')
const total = readRows<{ n: number }>(dbPath, 'SELECT count(*) AS n FROM advisory')[0]!.n
t.equal(readRows(dbPath, "SELECT id FROM advisory WHERE product_id = 'xss'").length, 2, 'both hostile advisories stored')

const app = await buildApp({ dbPath })
t.teardown(async () => { await app.close() })
await app.listen({ host: '127.0.0.1', port: 0 })
const port = (app.server.address() as AddressInfo).port

type Res = LightMyRequestResponse

async function get (url: string, headers: Record<string, string> = {}, on: FastifyInstance = app): Promise<Res> {
  return await on.inject({ method: 'GET', url, headers })
}

async function post (payload: string | Buffer | undefined, headers: Record<string, string> = { 'content-type': 'application/json' }, url = '/api/v1/query', on: FastifyInstance = app, remoteAddress?: string): Promise<Res> {
  return await on.inject({ method: 'POST', url, headers, payload, ...(remoteAddress === undefined ? {} : { remoteAddress }) })
}

interface RawResponse { status: number, head: string, body: string, closed: boolean }

/** One request written byte for byte on a fresh socket (no URL normalisation on the way), read until close. */
async function rawRequest (request: string, timeoutMs = 10_000): Promise<RawResponse> {
  return await new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1')
    const chunks: Buffer[] = []
    const timer = setTimeout(() => { socket.destroy(); reject(new Error(`no answer within ${timeoutMs} ms to ${request.split('\r\n')[0]}`)) }, timeoutMs)
    socket.on('data', (c) => chunks.push(c))
    socket.on('error', () => {}) // a reset after the answer is fine: 'close' follows
    socket.on('close', () => {
      clearTimeout(timer)
      const text = Buffer.concat(chunks).toString('latin1')
      const split = text.indexOf('\r\n\r\n')
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0), head: split === -1 ? text : text.slice(0, split), body: split === -1 ? '' : text.slice(split + 4), closed: true })
    })
    socket.write(request)
  })
}

const rawGet = async (path: string, host = '127.0.0.1'): Promise<RawResponse> =>
  await rawRequest(`GET ${path} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`)

/** What an error body must never show: file paths, stack frames, the database's insides. */
const leak = /\/work\/|node_modules|at [A-Za-z]+ \(|\.ts:\d+|SqliteError/

function noLeak (t: Test, body: string, what: string): void {
  t.notMatch(body, leak, `${what}: no stack trace, file path or SQL detail`)
  t.notOk(body.includes(dir), `${what}: the database directory is not shown`)
}

function decodeEntities (s: string): string {
  return s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&#x27;/g, "'").replace(/&amp;/g, '&')
}

const escapeHtml = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;')

type Surface = 'page' | 'feed' | 'api'
const surfaceOf = (url: string): Surface => url.startsWith('/api/') ? 'api' : url.startsWith('/feeds/') ? 'feed' : 'page'

/** A 400 in the surface's own format whose message starts with the parameter's name. */
function isBadParam (t: Test, res: Res, param: string, what: string): void {
  t.equal(res.statusCode, 400, `${what}: 400`)
  if (res.statusCode !== 400) return
  const surface = surfaceOf(what)
  if (surface === 'api') {
    t.match(res.headers['content-type'], /^application\/json/, `${what}: JSON`)
    const body = res.json() as Record<string, unknown>
    t.strictSame(Object.keys(body).sort(), ['error', 'message'], `${what}: {error, message}`)
    t.equal(body.error, 'Bad Request', `${what}: error`)
    t.ok(String(body.message).startsWith(`${param}: `), `${what}: the message names ${param} (${String(body.message).slice(0, 120)})`)
  } else if (surface === 'feed') {
    t.match(res.headers['content-type'], /^text\/plain/, `${what}: text/plain`)
    t.ok(res.body.startsWith(`400 Bad request: ${param}: `), `${what}: the message names ${param} (${res.body.slice(0, 120)})`)
  } else {
    t.match(res.headers['content-type'], /^text\/html/, `${what}: HTML`)
    const lead = decodeEntities(/<p class="lead">([^<]*)<\/p>/.exec(res.body)?.[1] ?? '')
    t.ok(lead.startsWith(`${param}: `), `${what}: the page names ${param} (${lead.slice(0, 120)})`)
  }
  noLeak(t, res.body, what)
}

// ---------------------------------------------------------------------------------------------------------

t.test('1. path traversal on static files and page routes never reaches a file outside public/', async (t) => {
  const packageJson = readFileSync(join(projectDir, 'package.json'), 'utf8')
  const secret = '"name": "lambda-linux-security-center"'
  t.ok(packageJson.includes(secret), 'the needle is what package.json holds')
  t.equal((await get('/static/style.css')).statusCode, 200, 'static files are served at all')
  t.equal((await rawGet('/static/style.css')).status, 200, 'and over the socket')

  const urls = [
    '/static/../package.json', '/static/%2e%2e/package.json', '/static/%2e%2e%2fpackage.json', '/static/..%2fpackage.json',
    '/static/....//package.json', '/static/%252e%252e/package.json', '/static/..\\package.json', '/%2e%2e/package.json',
    '/cve/..%2f..%2fpackage.json', '/packages/..%2f..%2fetc%2fpasswd', '/feeds/..%2f..%2fpackage.json',
    // Beyond the list: deeper, mixed, backslash-encoded, NUL, overlong UTF-8, doubled slashes.
    '/static/../../../../etc/passwd', '/static/..%2f..%2f..%2f..%2fetc%2fpasswd', '/static/%2e%2e/%2e%2e/%2e%2e/etc/passwd',
    '/static/..%5cpackage.json', '/static/%2e%2e%5cpackage.json', '/static/.%2e/package.json', '/static/%00../package.json',
    '/static/style.css%00/../../package.json', '/static/%c0%ae%c0%ae/package.json', '/static//etc/passwd', '//etc/passwd',
    '/../package.json', '/api/v1/packages/..%2f..%2fetc%2fpasswd',
    '/static/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd'
  ]
  for (const url of urls) {
    for (const [via, res] of [['inject', await get(url)], ['socket', await rawGet(url)]] as const) {
      const status = 'statusCode' in res ? res.statusCode : res.status
      const what = `${via} GET ${url}`
      t.ok([400, 403, 404].includes(status), `${what}: 400, 403 or 404 (got ${status})`)
      t.notOk(res.body.includes(secret), `${what}: package.json is not served`)
      t.notOk(res.body.includes('root:x:0:0'), `${what}: /etc/passwd is not served`)
      noLeak(t, res.body, what)
    }
  }
  // A package feed takes any name: a dotted one is a valid, empty feed about that name, not a file.
  const feed = await rawGet('/feeds/packages/..%2f..%2f..%2fpackage.json.rss')
  t.equal(feed.status, 200, 'a package feed for "../../../package.json" is a feed')
  t.match(feed.head, /content-type: application\/rss\+xml/i)
  t.notOk(feed.body.includes('<item>'), 'with no item')
  t.notOk(feed.body.includes(secret), 'and not the file')
})

t.test('2. SQL and FTS5 injection in every filter: 200 or a clear 400, never 500, the database untouched', async (t) => {
  const before = snapshot(dbPath)
  const schemaBefore = readRows(dbPath, 'SELECT type, name, sql FROM sqlite_master ORDER BY name')
  const payloads = ["' OR 1=1 --", '"; DROP TABLE advisory; --', '1) UNION SELECT sqlite_version() --', '*', '"', 'NEAR(', 'a:b', '^x', '\u0000', '%00',
    "x' UNION SELECT name, sql FROM sqlite_master --", 'kernel") OR ("1"="1', '\'); DELETE FROM advisory_fts; --']
  const common = ['product', 'severity', 'type', 'package', 'cve', 'q', 'issued_after', 'issued_before', 'updated_after', 'withdrawn', 'sort', 'order']
  const surfaces: Array<[string, string[]]> = [
    ['/', [...common, 'page', 'per_page']],
    ['/xss', [...common.filter((p) => p !== 'product'), 'page', 'per_page']],
    ['/feeds/advisories.rss', [...common, 'limit']],
    ['/api/v1/advisories', [...common, 'limit', 'cursor']]
  ]
  // Free text: any printable value is valid (it is data, not syntax); only control characters are refused.
  const freeText = new Set(['package', 'q'])
  let requests = 0
  for (const [path, params] of surfaces) {
    for (const param of params) {
      for (const value of payloads) {
        const url = `${path}?${param}=${enc(value)}`
        const res = await get(url)
        requests++
        t.not(res.statusCode, 500, `${url}: never 500`)
        if (freeText.has(param) && !value.includes('\u0000')) {
          t.equal(res.statusCode, 200, `${url}: free text is searched, not refused`)
        } else {
          isBadParam(t, res, param, url)
        }
      }
    }
  }
  t.ok(requests > 500, `${requests} hostile requests`)

  // No tautology: the API list shows what each payload matches, and the SQL-shaped ones match nothing.
  const count = async (query: string): Promise<number> => {
    const res = await get(`/api/v1/advisories?limit=1000&${query}`)
    t.equal(res.statusCode, 200, query)
    return (res.json() as { items: unknown[] }).items.length
  }
  for (const value of ["' OR 1=1 --", '"; DROP TABLE advisory; --', '1) UNION SELECT sqlite_version() --', 'kernel") OR ("1"="1', 'NEAR(', 'a:b']) {
    t.equal(await count(`q=${enc(value)}`), 0, `q=${value} matches nothing`)
    t.equal(await count(`package=${enc(value)}`), 0, `package=${value} matches nothing`)
  }
  for (const value of ['*', '"']) t.equal(await count(`q=${enc(value)}`), total, `q=${value} has nothing searchable: the whole list, as documented`)
  // A cursor that decodes to well-formed JSON holding SQL is bound as data.
  const cursor = Buffer.from(JSON.stringify(["' OR 1=1 --", "x') UNION SELECT 1 --", 'xss'])).toString('base64url')
  const crafted = await get(`/api/v1/advisories?cursor=${cursor}`)
  t.equal(crafted.statusCode, 200, 'a crafted cursor holding SQL is just a position')
  t.ok((crafted.json() as { items: unknown[] }).items.length <= total)

  t.equal(snapshot(dbPath), before, 'every advisory table and the search index are unchanged')
  t.strictSame(readRows(dbPath, 'SELECT type, name, sql FROM sqlite_master ORDER BY name'), schemaBefore, 'the schema is unchanged')
  t.strictSame(readRows(dbPath, 'PRAGMA integrity_check'), [{ integrity_check: 'ok' }], 'integrity_check ok')
  t.equal(readRows<{ n: number }>(dbPath, 'SELECT count(*) AS n FROM advisory')[0]!.n, total, 'advisory count unchanged')
  t.equal(JSON.parse((await get('/healthz')).body).advisories, total, 'the server still counts every advisory')
})

t.test('3. absurd values are refused with a 400 that names the parameter, in each surface\'s format', async (t) => {
  const pages = ['/', '/xss', '/cve/CVE-2017-5715', '/packages/kernel']
  const listPages = ['/', '/xss']
  const feeds = ['/feeds/advisories.rss', '/feeds/xss.atom', '/feeds/advisories.json']
  const api = ['/api/v1/advisories']
  const cases: Array<[string, string, string[]]> = [
    ['limit=-1', 'limit', [...feeds, ...api]],
    ['limit=1e9', 'limit', [...feeds, ...api]],
    ['limit=1.5', 'limit', [...feeds, ...api]],
    ['page=NaN', 'page', [...pages, ...feeds, ...api]],
    ['page=0', 'page', [...pages, ...feeds, ...api]],
    ['per_page=99999999999999999999', 'per_page', [...pages, ...feeds]],
    ['issued_after=9999-99-99', 'issued_after', [...listPages, ...feeds, ...api]],
    ['issued_after=2024-02-30', 'issued_after', [...listPages, ...feeds, ...api]],
    ['updated_after=2024-01-01T25:00:00Z', 'updated_after', [...listPages, ...feeds, ...api]],
    // A time on a day that does not exist is "a date that does not exist" (docs/portal.md) just as much.
    ['updated_after=2024-02-30T00:00:00Z', 'updated_after', [...listPages, ...feeds, ...api]],
    ['issued_before=2023-02-29T12:00:00Z', 'issued_before', [...listPages, ...feeds, ...api]],
    [`q=${'x'.repeat(10_000)}`, 'q', [...listPages, ...feeds, ...api]],
    ['severity=low&'.repeat(2000).slice(0, -1), 'severity', [...listPages, ...feeds, ...api]],
    [`package=${'a'.repeat(10_000)}`, 'package', [...listPages, ...feeds, ...api]],
    [`cve=CVE-2024-${'9'.repeat(10_000)}`, 'cve', [...listPages, ...feeds, ...api]]
  ]
  for (const [query, param, urls] of cases) {
    for (const url of urls) {
      const res = await get(`${url}?${query}`)
      isBadParam(t, res, param, `${url}?${query.length > 60 ? `${query.slice(0, 40)}… (${query.length} chars)` : query}`)
    }
  }
  // On the wire, a request line beyond Node's header limit is refused before the app: 431, not a crash.
  const huge = await rawGet(`/?q=${'x'.repeat(20_000)}`)
  t.equal(huge.status, 431, 'a 20 KB request line: 431 Request Header Fields Too Large')
  t.equal((await rawGet('/healthz')).status, 200, 'the server answers after it')
})

t.test('4. POST /api/v1/query: oversized, deeply nested, too many entries, wrong types, rate limited', async (t) => {
  const isJsonError = (res: Res, status: number, what: string): Record<string, unknown> => {
    t.equal(res.statusCode, status, `${what}: ${status}`)
    t.match(res.headers['content-type'], /^application\/json/, `${what}: JSON`)
    const body = res.json() as Record<string, unknown>
    t.strictSame(Object.keys(body).sort(), ['error', 'message'], `${what}: {error, message}`)
    t.type(body.message, 'string', `${what}: a message`)
    noLeak(t, res.body, what)
    return body
  }
  const healthy = async (what: string): Promise<void> => {
    t.equal((await get('/healthz')).statusCode, 200, `/healthz answers after ${what}`)
    t.equal((await rawGet('/healthz')).status, 200, `/healthz answers on the socket after ${what}`)
  }

  t.test('a 50 MB body is 413, JSON or text, and is not read to the end', async (t) => {
    const json = isJsonError(await post(Buffer.alloc(50 * 1024 * 1024, 'a')), 413, '50 MB JSON')
    t.equal(json.message, 'the request body is larger than this endpoint accepts (8 MB)')
    isJsonError(await post(Buffer.alloc(50 * 1024 * 1024, 'a'), { 'content-type': 'text/plain' }, '/api/v1/query?product=amzn2'), 413, '50 MB text')
    // Announce 50 MB, send 1 KB: the answer comes from Content-Length alone, without waiting for the rest.
    const started = Date.now()
    const res = await rawRequest(`POST /api/v1/query HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${50 * 1024 * 1024}\r\nConnection: close\r\n\r\n${'a'.repeat(1024)}`, 5000)
    t.equal(res.status, 413, 'socket: 413 for an announced 50 MB body')
    t.ok(Date.now() - started < 5000, `socket: answered in ${Date.now() - started} ms without the body`)
    await healthy('the 50 MB bodies')
  })

  t.test('deeply nested JSON is 400 and the server keeps answering', async (t) => {
    const deep = '['.repeat(100_000) + ']'.repeat(100_000)
    isJsonError(await post(`{"product":"amzn2","packages":${deep}}`), 400, '100,000-deep array as packages')
    isJsonError(await post(deep), 400, '100,000-deep array as the whole body')
    const deepObject = '{"a":'.repeat(100_000) + '1' + '}'.repeat(100_000)
    isJsonError(await post(`{"product":"amzn2","packages":[${deepObject}]}`), 400, '100,000-deep object as a package')
    isJsonError(await post(deepObject), 400, '100,000-deep object as the whole body')
    isJsonError(await post('{"product":"amzn2","packages":' + '['.repeat(100_000)), 400, 'unterminated nesting')
    await healthy('the nested bodies')
    const ok = await post(JSON.stringify({ product: 'amzn2', packages: ['kernel-4.9.0-1.amzn2.x86_64'] }))
    t.equal(ok.statusCode, 200, 'a normal query still works')
  })

  t.test('too many entries are refused with the documented limits', async (t) => {
    const million = JSON.stringify({ product: 'amzn2', packages: Array.from({ length: 1_000_000 }, (_, i) => `p${i}-1-1.x86_64`) })
    t.ok(million.length > 8 * 1024 * 1024, `1,000,000 entries are ${(million.length / 1024 / 1024).toFixed(1)} MB`)
    isJsonError(await post(million), 413, '1,000,000 entries')
    const entries = Array.from({ length: 60_000 }, (_, i) => `p${i}-1-1.x86_64`)
    const sixty = JSON.stringify({ product: 'amzn2', packages: entries })
    t.ok(sixty.length < 8 * 1024 * 1024, `60,000 entries are ${(sixty.length / 1024 / 1024).toFixed(1)} MB, under the body limit`)
    const body = isJsonError(await post(sixty), 400, '60,000 JSON entries')
    t.match(body.message, /packages/, 'the message names packages')
    t.match(body.message, /50000/, 'and the limit')
    const text = isJsonError(await post(entries.join('\n'), { 'content-type': 'text/plain' }, '/api/v1/query?product=amzn2'), 400, '60,000 text lines')
    t.equal(text.message, 'packages: at most 50000 per request, got 60000')
    await healthy('the large batches')
  })

  t.test('content types other than JSON and text are 415; a missing body is 400', async (t) => {
    const body = JSON.stringify({ product: 'amzn2', packages: [] })
    for (const type of ['application/xml', 'multipart/form-data; boundary=x', 'application/x-www-form-urlencoded', 'text/html', 'application/json-patch+json', 'application/jsonx']) {
      const res = isJsonError(await post(body, { 'content-type': type }), 415, type)
      t.equal(res.message, `content type "${type}" is not accepted: send application/json or text/plain`, `${type}: names the type`)
    }
    const none = isJsonError(await post(body, {}), 415, 'a body without a content type')
    t.equal(none.message, 'content type "" is not accepted: send application/json or text/plain')
    const empty = isJsonError(await post(undefined, {}), 400, 'no body and no content type')
    t.match(empty.message, /^product: /, 'no body: the missing product is named')
    isJsonError(await post('', { 'content-type': 'application/json' }), 400, 'an empty JSON body')
    isJsonError(await post('{"product":', { 'content-type': 'application/json' }), 400, 'truncated JSON')
  })

  t.test('media types are case-insensitive: Application/JSON is read as JSON', async (t) => {
    const body = JSON.stringify({ product: 'amzn2', packages: ['kernel-4.9.0-1.amzn2.x86_64'] })
    const lower = await post(body)
    t.equal(lower.statusCode, 200)
    for (const type of ['Application/JSON', 'APPLICATION/JSON; charset=utf-8']) {
      const res = await post(body, { 'content-type': type })
      t.equal(res.statusCode, 200, `${type}: 200 (RFC 9110 8.3.1: type and subtype are case-insensitive)`)
      if (res.statusCode === 200) t.strictSame(res.json(), lower.json(), `${type}: the same answer`)
      else t.comment(`${type}: ${res.body}`)
    }
  })

  t.test('__proto__ and constructor keys in a body pollute nothing', async (t) => {
    const res = await post('{"product":"amzn2","packages":["a-1-1.x86_64",{"name":"b","version":"1","release":"1","arch":"x86_64","constructor":{"prototype":{"polluted":1}},"__proto__":{"polluted":2}}],"__proto__":{"polluted":3}}')
    t.ok([200, 400].includes(res.statusCode), `answered ${res.statusCode}`)
    t.equal(({} as Record<string, unknown>).polluted, undefined, 'Object.prototype is untouched')
    for (const product of ['__proto__', 'constructor', 'toString']) {
      const r = isJsonError(await post(JSON.stringify({ product, packages: [] })), 400, `product ${product}`)
      t.match(r.message, `product: unknown product "${product}"`)
      isJsonError(await post('a-1-1.x86_64', { 'content-type': 'text/plain' }, `/api/v1/query?product=${product}`), 400, `?product=${product}`)
    }
  })

  t.test('the rate limit answers 429 with Retry-After, per client, and X-Forwarded-For does not reset it', async (t) => {
    const limited = await buildApp({ dbPath, queryLimits: { ...defaultQueryLimits, rateLimit: { max: 3, windowMs: 60_000 } } })
    t.teardown(async () => { await limited.close() })
    const query = (n: number, headers: Record<string, string> = {}, remoteAddress?: string): Promise<Res> =>
      post(`kernel-4.9.0-${n}.amzn2.x86_64`, { 'content-type': 'text/plain', ...headers }, '/api/v1/query?product=amzn2', limited, remoteAddress)
    for (let i = 1; i <= 3; i++) t.equal((await query(i)).statusCode, 200, `query ${i}`)
    const fourth = await query(4)
    const body = isJsonError(fourth, 429, 'the 4th query')
    t.equal(body.error, 'Too Many Requests')
    t.match(body.message, /^rate limit: at most 3 queries per /)
    t.match(fourth.headers['retry-after'], /^\d+$/, 'retry-after is a number of seconds')
    t.ok(Number(fourth.headers['retry-after']) >= 1 && Number(fourth.headers['retry-after']) <= 60, `retry-after ${String(fourth.headers['retry-after'])} within the window`)
    securityHeaders(t, fourth, '429')
    t.equal((await query(5, { 'x-forwarded-for': '203.0.113.9' })).statusCode, 429, 'a forged X-Forwarded-For is not a new client')
    t.equal((await query(6, { 'x-real-ip': '203.0.113.10', forwarded: 'for=203.0.113.11' })).statusCode, 429, 'nor X-Real-IP / Forwarded')
    const big = await post(Buffer.alloc(20 * 1024 * 1024, 'a'), { 'content-type': 'application/json' }, '/api/v1/query', limited)
    t.equal(big.statusCode, 429, 'an over-limit client is refused before its body counts')
    t.equal((await query(7, {}, '198.51.100.7')).statusCode, 200, 'another address has its own allowance')
    t.equal((await get('/api/v1/products', {}, limited)).statusCode, 200, 'GETs are not limited')
  })
})

t.test('5. stored and reflected XSS stay text in pages, escaped in feeds, exact in the API', async (t) => {
  /**
   * No markup from the data: every start tag is read with its attributes (quoted values kept whole), and none is
   * a script or payload element, has an event handler or inline style, or links anywhere but http(s) or the site.
   */
  const inert = (t: Test, html: string, what: string): void => {
    t.notMatch(html, /<script/i, `${what}: no <script`)
    const tags = [...html.matchAll(/<([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[^\s"'>/=]+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'=<>`]+))?)*)\s*\/?>/g)]
    t.equal(tags.length, html.match(/<[a-zA-Z]/g)?.length ?? 0, `${what}: every "<" + letter starts a well-formed tag (${tags.length})`)
    const bad: string[] = []
    for (const [tag, name, attributes] of tags) {
      // The portal's own charts are <svg class="chart chart-..."> (a product page shows one); the payloads carry no such class.
      const chart = name === 'svg' && /^\s+class="chart chart-[a-z-]+"/.test(attributes!)
      if (/^(script|img|svg|iframe|object|embed|b|i|math|base)$/i.test(name!) && !chart) bad.push(`element ${tag}`)
      for (const a of attributes!.matchAll(/([^\s"'>/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?/g)) {
        const attribute = a[1]!.toLowerCase()
        const value = decodeEntities(a[2] ?? a[3] ?? a[4] ?? '')
        if (attribute.startsWith('on') || attribute === 'style' || attribute === 'srcdoc') bad.push(`attribute ${attribute} in ${tag}`)
        if (['href', 'src', 'action', 'formaction', 'srcset', 'poster', 'data', 'xlink:href'].includes(attribute)) {
          // eslint-disable-next-line no-control-regex
          const squeezed = value.replace(/[\u0000-\u0020]/g, '').toLowerCase()
          if (!/^(https?:\/\/|\/|#|\?)/.test(squeezed)) bad.push(`${attribute}="${value}" in ${tag}`)
        }
      }
    }
    t.strictSame(bad, [], `${what}: no payload element, no handler or style attribute, only http(s) or relative links`)
  }

  t.test('pages: the hostile advisory, the list, CVE, package, products and feeds pages', async (t) => {
    const pages = [mainPage, oddPage, '/xss', '/?product=xss', '/?q=script', '/?q=pkg', `/cve/${raw.cve}`, pkgPage, '/products', '/feeds', '/xss?severity=critical']
    for (const url of pages) {
      const res = await get(url)
      t.equal(res.statusCode, 200, `${url}: 200`)
      inert(t, res.body, url)
    }
    const main = (await get(mainPage)).body
    t.match(main, '<p class="lead">&lt;script&gt;alert(1)&lt;/script&gt;</p>', 'the title is shown as text')
    t.match(main, escapeHtml(raw.description), 'the description is shown as text')
    t.match(main, `<h1>${escapeHtml(raw.productName)} Security Advisory: ${mainId}</h1>`, 'the product name is text')
    for (const href of ['javascript:alert(4)', 'JaVaScRiPt:alert(5)', 'javascript:alert(6)', 'java\tscript:alert(8)']) {
      t.notOk(main.includes(`href="${href}`), `${JSON.stringify(href)} is not a link`)
    }
    t.match(main, '<li><span class="ref-type">vendor</span> JaVaScRiPt:alert(5)</li>', 'an unsafe href is shown as text')
    t.match(main, `<li><span class="ref-type">vendor</span> ${escapeHtml('data:text/html,<script>alert(9)</script>')}</li>`, 'a data: URL is shown as text')
    t.match(main, '<a href="https://evil.example/%22onmouseover=%22alert(10)" rel="external noopener">E10</a>', 'quotes in an http URL cannot break out of href')
    const odd = (await get(oddPage)).body
    t.match(odd, `Security Advisory: ${escapeHtml(raw.oddId)}</h1>`, 'the hostile id is text in the heading')
    t.match(odd, `<link rel="canonical" href="${oddPage}">`, 'and percent-encoded in its URL')
    t.match((await get(pkgPage)).body, `<h1>Package ${escapeHtml(raw.pkg)}</h1>`, 'the package name is text')
    t.match((await get('/xss')).body, `<a href="${oddPage}">${escapeHtml(raw.oddId)}</a>`, 'the list links the odd id, encoded, and shows it as text')
  })

  t.test('reflected input: search box, 404 paths, 400 messages', async (t) => {
    const probe = '"><script>alert(11)</script><img src=x onerror=alert(12)>'
    const reflected: Array<[string, number]> = [
      [`/?q=${enc(probe.slice(0, 200))}`, 200],
      [`/xss?q=${enc(probe)}`, 200],
      [`/${enc(probe)}`, 404],
      [`/xss/${enc(probe)}`, 404],
      [`/packages/${enc(probe)}`, 404],
      [`/cve/${enc(probe)}`, 404],
      [`/nope/${enc(probe)}/deeper`, 404],
      [`/?severity=${enc(probe)}`, 400],
      [`/?product=${enc(probe)}`, 400],
      [`/?issued_after=${enc(probe)}`, 400]
    ]
    for (const [url, status] of reflected) {
      const res = await get(url)
      t.equal(res.statusCode, status, `${url}: ${status}`)
      inert(t, res.body, url)
      t.ok(res.body.includes('&lt;script&gt;alert(11)&lt;/script&gt;'), `${url}: the input is echoed escaped`)
    }
    // Feed and API errors echo the input as text/plain or JSON, never as HTML.
    for (const url of [`/feeds/advisories.rss?severity=${enc(probe)}`, `/feeds/${enc(probe)}.rss`, `/api/v1/advisories?severity=${enc(probe)}`, `/api/v1/advisories/${enc(probe)}`]) {
      const res = await get(url)
      t.ok(res.statusCode === 400 || res.statusCode === 404, `${url}: ${res.statusCode}`)
      t.match(res.headers['content-type'], /^(text\/plain|application\/json)/, `${url}: not HTML`)
      t.equal(res.headers['x-content-type-options'], 'nosniff', `${url}: nosniff, so no browser sniffs it as HTML`)
    }
  })

  t.test('feeds: escaped or CDATA text, never markup', async (t) => {
    const xml = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@', isArray: (name) => ['item', 'entry'].includes(name) })
    const textOf = (node: unknown): string => typeof node === 'string' ? node : String((node as Record<string, unknown>)['#text'] ?? '')
    const noMarkup = (html: string, what: string): void => {
      t.notMatch(html, /<(script|img|svg|b|i)[\s/>]/i, `${what}: no payload element in the HTML`)
      t.notMatch(html, /<[a-z][^>]*\son[a-z]+\s*=/i, `${what}: no event handler`)
    }
    const oddTitle = `${raw.oddId} (low): ${raw.pkg}`

    for (const url of ['/feeds/xss.atom', `/feeds/packages/${enc(raw.pkg)}.atom`, `/feeds/cve/${raw.cve}.atom`]) {
      const res = await get(url)
      t.equal(res.statusCode, 200, url)
      const feed = xml.parse(res.body) as { feed: { title: unknown, entry: Array<{ title: unknown, content: unknown, id: string }> } }
      const entries = feed.feed.entry
      t.ok(entries.length > 0, `${url}: entries`)
      for (const entry of entries) {
        t.equal((entry.title as Record<string, string>)['@type'], 'html', `${url}: entry titles are type="html"`)
        t.notMatch(textOf(entry.title), /</, `${url}: the title's HTML holds no tag`)
        noMarkup(textOf(entry.content), `${url} content`)
      }
      if (url === '/feeds/xss.atom') {
        t.equal(textOf(feed.feed.title), `Lambda Linux Security Center: ${raw.productName} advisories`, 'the feed title is the raw text (type text)')
        const odd = entries.find((e) => e.id.endsWith(oddPage))
        t.equal(textOf(odd?.title), escapeHtml(oddTitle), 'the hostile entry title is the escaped string')
        t.equal(decodeEntities(textOf(odd?.title)), oddTitle, 'which reads back as the raw text')
        const main = entries.find((e) => e.id.endsWith(mainPage))
        t.match(textOf(main?.content), '<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>', 'the advisory title is escaped in the content')
        t.match(textOf(main?.content), escapeHtml(raw.description), 'so is the description')
      }
    }

    const rss = await get('/feeds/xss.rss')
    const channel = (xml.parse(rss.body) as { rss: { channel: { item: Array<{ title: unknown, description: unknown, link: string }> } } }).rss.channel
    for (const item of channel.item) noMarkup(textOf(item.description), `RSS ${item.link} description`)
    // RSS titles are read as text by some readers and as HTML by others: escaped, they show the characters in both.
    t.equal(textOf(channel.item.find((i) => i.link.endsWith(oddPage))?.title), escapeHtml(oddTitle), 'the RSS title is the escaped string')
    t.notMatch(rss.body.replace(/<!\[CDATA\[[\s\S]*?\]\]>/g, ''), /<(script|img|svg|b|i)[\s/>]/i, 'RSS: payloads appear only escaped or inside CDATA')
    const atom = (await get('/feeds/xss.atom')).body
    t.notMatch(atom.replace(/<!\[CDATA\[[\s\S]*?\]\]>/g, ''), /<(script|img|svg|b|i)[\s/>]/i, 'Atom: payloads appear only escaped or inside CDATA')

    const json = (await get('/feeds/xss.json')).json() as { title: string, items: Array<{ url: string, title: string, summary: string, content_html: string }> }
    t.equal(json.title, `Lambda Linux Security Center: ${raw.productName} advisories`, 'JSON Feed title: plain text, raw')
    for (const item of json.items) noMarkup(item.content_html, `JSON Feed ${item.url} content_html`)
    const mainItem = json.items.find((i) => i.url.endsWith(mainPage))
    t.equal(mainItem?.summary, raw.description, 'JSON Feed summary is plain text, raw')
    t.match(mainItem?.content_html, '<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>', 'content_html escapes it')
    t.equal(json.items.find((i) => i.url.endsWith(oddPage))?.title, oddTitle, 'JSON Feed item title: plain text, raw')
  })

  t.test('the JSON API returns the raw strings exactly', async (t) => {
    const detail = (await get(`/api/v1/advisories/${enc(mainId)}`)).json() as Record<string, unknown>
    t.equal(detail.title, raw.title)
    t.equal(detail.description, raw.description)
    t.strictSame(detail.references, storedReferences, 'references, hrefs included, as stored')
    t.equal((detail.packages as Array<{ name: string }>)[0]?.name, raw.pkg)
    t.strictSame(detail.cves, [raw.cve])
    const odd = await get(`/api/v1/advisories/${enc(raw.oddId)}`)
    t.equal(odd.statusCode, 200)
    t.equal((odd.json() as { id: string }).id, raw.oddId, 'the hostile id')
    t.equal((odd.json() as { html_url: string }).html_url, `http://localhost${oddPage}`, 'and its URL, percent-encoded')
    const list = (await get('/api/v1/advisories?product=xss')).json() as { items: Array<{ id: string, title: string, source_packages: string[] }> }
    t.strictSame(list.items.map((i) => [i.id, i.title, i.source_packages]), [[mainId, raw.title, [raw.pkg]], [raw.oddId, 'odd id', [raw.pkg]]])
    const pkg = (await get(`/api/v1/packages/${enc(raw.pkg)}`)).json() as { name: string, advisories: Array<{ title: string }> }
    t.equal(pkg.name, raw.pkg)
    t.strictSame(pkg.advisories.map((a) => a.title), [raw.title, 'odd id'])
    const osv = (await get(`/api/v1/advisories/${enc(mainId)}/osv`)).json() as { summary: string, details: string }
    t.equal(osv.summary, raw.title, 'OSV summary')
    t.equal(osv.details, raw.description, 'OSV details')
    const { products } = (await get('/api/v1/products')).json() as { products: Array<{ id: string, name: string }> }
    t.equal(products.find((p) => p.id === 'xss')?.name, raw.productName, 'the product name')
  })
})

t.test('5b. a forged Host header never poisons what other clients get', async (t) => {
  const forged = await get('/feeds/advisories.rss?limit=1', { host: 'evil.example' })
  t.equal(forged.statusCode, 200)
  t.match(forged.body, '<link>http://evil.example/</link>', 'without PUBLIC_URL, links follow the request (documented)')
  for (const url of ['/feeds/advisories.rss?limit=1', '/api/v1/advisories?limit=1']) {
    await get(url, { host: 'evil.example' })
    const honest = await get(url, { host: '127.0.0.1' })
    t.notOk(honest.body.includes('evil.example'), `${url}: the cached answer for a forged Host is not served to others`)
  }
  const pinned = await buildApp({ dbPath, publicUrl: 'https://security.example.org' })
  t.teardown(async () => { await pinned.close() })
  const res = await get('/feeds/advisories.rss?limit=1', { host: 'evil.example' }, pinned)
  t.notOk(res.body.includes('evil.example'), 'with PUBLIC_URL, the Host header is ignored')
  t.match(res.body, '<link>https://security.example.org/</link>')
})

t.test('7. the server listens on 127.0.0.1 unless told otherwise', async (t) => {
  const config = readServerConfig([], {})
  t.equal(config.host, '127.0.0.1', 'the default host is loopback')
  const server = await buildApp({ dbPath })
  t.teardown(async () => { await server.close() })
  await server.listen({ host: config.host, port: 0 })
  const address = server.server.address() as AddressInfo
  t.equal(address.address, '127.0.0.1', 'bound to 127.0.0.1')
  t.equal(address.family, 'IPv4')
  const res = await fetch(`http://127.0.0.1:${address.port}/healthz`)
  t.equal(res.status, 200, 'and reachable there')
  await res.body?.cancel()
})

t.test('8. slow clients are cut off within a bounded time', async (t) => {
  // By default too, a request has a finite time to arrive (0 would mean never cut off).
  t.ok(app.server.requestTimeout > 0 && app.server.requestTimeout <= 60_000, `default request timeout ${app.server.requestTimeout} ms`)
  t.ok(app.server.headersTimeout > 0 && app.server.headersTimeout <= app.server.requestTimeout, `default headers timeout ${app.server.headersTimeout} ms`)

  const slowApp = await buildApp({ dbPath, requestTimeoutMs: 1500 })
  t.teardown(async () => { await slowApp.close() })
  await slowApp.listen({ host: '127.0.0.1', port: 0 })
  const slowPort = (slowApp.server.address() as AddressInfo).port

  /** Writes `head` at once, then one byte of `drip` every 500 ms; resolves when the server closes the socket. */
  const dribble = async (head: string, drip: string, limitMs: number): Promise<{ closedAfterMs: number | null, answer: string }> =>
    await new Promise((resolve) => {
      const socket = connect(slowPort, '127.0.0.1')
      const started = Date.now()
      let answer = ''
      let i = 0
      let timer: NodeJS.Timeout | undefined
      const finish = (closedAfterMs: number | null): void => { clearInterval(timer); clearTimeout(cap); socket.destroy(); resolve({ closedAfterMs, answer }) }
      const cap = setTimeout(() => { finish(null) }, limitMs)
      socket.on('data', (c) => { answer += c.toString('latin1') })
      socket.on('error', () => {})
      socket.on('close', () => { finish(Date.now() - started) })
      socket.on('connect', () => {
        socket.write(head)
        timer = setInterval(() => { if (!socket.destroyed) socket.write(drip[i++ % drip.length]!) }, 500)
      })
    })

  const limitMs = 8000
  const headers = await dribble('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ', 'abcdefghijklmnopqrstuvwxyz', limitMs)
  t.ok(headers.closedAfterMs !== null && headers.closedAfterMs >= 1400 && headers.closedAfterMs <= 5000,
    `headers sent one byte per 500 ms: the server closes the connection after 1.5 s, within ~5 s (closed after ${headers.closedAfterMs ?? `more than ${limitMs}`} ms)`)
  if (headers.answer !== '') t.match(headers.answer, /^HTTP\/1\.1 408 /, `if it answers, it is 408 (${headers.answer.split('\r\n')[0] ?? ''})`)

  const body = await dribble('POST /api/v1/query?product=amzn2 HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\nContent-Length: 1000\r\n\r\n', 'kernel-1-1.x86_64\n', limitMs)
  t.ok(body.closedAfterMs !== null && body.closedAfterMs >= 1400 && body.closedAfterMs <= 5000,
    `a body sent one byte per 500 ms: the server closes the connection after 1.5 s, within ~5 s (closed after ${body.closedAfterMs ?? `more than ${limitMs}`} ms)`)
  if (body.answer !== '') t.match(body.answer, /^HTTP\/1\.1 408 /, `if it answers, it is 408 (${body.answer.split('\r\n')[0] ?? ''})`)

  const res = await fetch(`http://127.0.0.1:${slowPort}/healthz`)
  t.equal(res.status, 200, 'a normal client is still served')
  await res.body?.cancel()
})

/** The headers every answer carries; the CSP is required on HTML and, where present elsewhere, just as strict. */
function securityHeaders (t: Test, res: Res, what: string): void {
  const csp = res.headers['content-security-policy']
  const html = /^text\/html/.test(String(res.headers['content-type'] ?? ''))
  if (html) t.type(csp, 'string', `${what}: CSP on HTML`)
  if (csp !== undefined) {
    t.notMatch(csp, /unsafe-inline|unsafe-eval/, `${what}: CSP allows no inline script or style`)
    t.match(csp, /frame-ancestors 'none'/, `${what}: CSP frame-ancestors 'none'`)
    t.match(csp, /default-src 'none'/, `${what}: CSP default-src 'none'`)
  }
  t.equal(res.headers['x-content-type-options'], 'nosniff', `${what}: nosniff`)
  t.type(res.headers['referrer-policy'], 'string', `${what}: referrer-policy`)
  t.match(res.headers['x-frame-options'], /^(DENY|SAMEORIGIN)$/, `${what}: x-frame-options`)
  if (res.statusCode >= 400) noLeak(t, res.body, what)
}

// Last: it breaks the database on purpose to provoke a 500.
t.test('6. security headers on every kind of answer; no error body leaks internals', async (t) => {
  const page = await get('/')
  const api = await get('/api/v1/products')
  const feed = await get('/feeds/advisories.rss')
  const css = await get('/static/style.css')
  const answers: Array<[string, Res, number]> = [
    ['page', page, 200],
    ['advisory page', await get(mainPage), 200],
    ['404 page', await get('/nope/nope/nope'), 404],
    ['404 advisory', await get('/xss/NOPE-1'), 404],
    ['400 page', await get('/?page=0'), 400],
    ['304 page', await get('/', { 'if-none-match': page.headers.etag as string }), 304],
    ['301 redirect', await get(`/advisories/${enc(mainId)}`), 301],
    ['static file', css, 200],
    ['static 304', await get('/static/style.css', { 'if-none-match': css.headers.etag as string }), 304],
    ['static 404', await get('/static/nope.css'), 404],
    ['static 403', await get('/static/....//package.json'), 403],
    ['feed', feed, 200],
    ['feed 304', await get('/feeds/advisories.rss', { 'if-none-match': feed.headers.etag as string }), 304],
    ['feed 400', await get('/feeds/advisories.rss?limit=0'), 400],
    ['feed 404', await get('/feeds/nope.rss'), 404],
    ['API JSON', api, 200],
    ['API 304', await get('/api/v1/products', { 'if-none-match': api.headers.etag as string }), 304],
    ['API 400', await get('/api/v1/advisories?limit=0'), 400],
    ['API 404', await get('/api/v1/nope'), 404],
    ['API 413', await post(Buffer.alloc(9 * 1024 * 1024, 'a')), 413],
    ['API 415', await post('<x/>', { 'content-type': 'application/xml' }), 415],
    ['OSV NDJSON', await get('/api/v1/osv/all.ndjson'), 200],
    ['healthz', await get('/healthz'), 200],
    ['openapi.json', await get('/openapi.json'), 200],
    ['API docs page', await get('/docs/api'), 200],
    ['HEAD page', await app.inject({ method: 'HEAD', url: '/' }), 200],
    ['CORS preflight', await app.inject({ method: 'OPTIONS', url: '/api/v1/advisories', headers: { origin: 'https://elsewhere.example', 'access-control-request-method': 'GET' } }), 204],
    ['DELETE page', await app.inject({ method: 'DELETE', url: '/' }), 404]
  ]

  const writer = new Database(dbPath)
  writer.exec('DROP TABLE advisory_fts')
  writer.close()
  answers.push(['500 page', await get('/?q=x'), 500], ['500 API', await get('/api/v1/advisories?q=x'), 500], ['500 feed', await get('/feeds/advisories.rss?q=x'), 500])

  for (const [what, res, status] of answers) {
    t.equal(res.statusCode, status, `${what}: ${status}`)
    securityHeaders(t, res, what)
  }
  const [, page500] = answers.find(([what]) => what === '500 page')!
  t.match(page500.body, '<h1>Something went wrong</h1>')
  const [, api500] = answers.find(([what]) => what === '500 API')!
  t.strictSame(api500.json(), { error: 'Internal Server Error', message: 'The server could not answer this request. The error has been logged; please try again later.' })
  const [, feed500] = answers.find(([what]) => what === '500 feed')!
  t.equal(feed500.body, '500 Something went wrong: The server could not answer this request. The error has been logged; please try again later.\n')
  for (const [what, res] of answers.filter(([, r]) => r.statusCode >= 400)) t.equal(res.headers['cache-control'], 'no-store', `${what}: errors are not cached`)
})
