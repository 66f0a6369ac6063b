// Regression tests for the server's edges (issue 11, items 1 to 5): a query that once exhausted memory, torn
// reads while an ingest commits, security headers on Fastify's and Node's own answers, cross-origin POSTs,
// and unknown query parameters. Each failed before its fix.
import t from 'tap'
import Database from 'better-sqlite3'
import { createHash } from 'node:crypto'
import { connect, type AddressInfo } from 'node:net'
import { join } from 'node:path'
import type { RepoSpec } from '../ingest/config.js'
import { runIngest } from '../ingest/run.js'
import { defaultQueryLimits } from '../server/matching/query-answer.js'
import { buildApp } from '../server/app.js'
import { readRows } from './helpers/db.js'
import { tempDir } from './helpers/paths.js'
import { writeRepo } from './helpers/repo-builder.js'

// A product where 300 advisories fix kernel on two arches, as in the report, plus one small advisory.
const kernelAdvisories = 300
function kernelXml (): string {
  const updates: string[] = []
  for (let i = 1; i <= kernelAdvisories; i++) {
    const release = `${i}.amzn2`
    updates.push(`<update status="final" type="security" version="1"><id>BIG-2024-${String(i).padStart(4, '0')}</id>
      <title>kernel fix ${i}</title><issued date="2024-01-01 00:00:00"/><severity>Important</severity>
      <pkglist><collection short="k">
        <package name="kernel" epoch="0" version="4.14.${i}" release="${release}" arch="x86_64"/>
        <package name="kernel" epoch="0" version="4.14.${i}" release="${release}" arch="i686"/>
      </collection></pkglist></update>`)
  }
  return `<?xml version="1.0" encoding="UTF-8"?><updates>${updates.join('\n')}</updates>`
}

const smallXml = (title: string, version: string): string => `<?xml version="1.0" encoding="UTF-8"?><updates>
  <update status="final" type="security" version="1"><id>SMALL-1</id><title>${title}</title>
    <issued date="2024-02-01 00:00:00"/><severity>Low</severity>
    <pkglist><collection short="s"><package name="tiny" version="${version}" release="1" arch="x86_64"/></collection></pkglist>
  </update></updates>`

const dir = tempDir(t)
const dbPath = join(dir, 'db.sqlite')
writeRepo(join(dir, 'big'), kernelXml())
writeRepo(join(dir, 'small'), smallXml('first title', '1.0'))
const spec = (id: string): RepoSpec => ({ productId: id, productName: id, url: join(dir, id), kind: 'baseurl', baseurls: [join(dir, id)], name: id, allowedHosts: [] })
const ingested = await runIngest({ dbPath, repos: [spec('big'), spec('small')] })
t.same(ingested.repos.map((r) => r.status), ['ok', 'ok'], 'both repos ingested')

const app = await buildApp({ dbPath })
t.teardown(async () => { await app.close() })
await app.listen({ host: '127.0.0.1', port: 0 })
const port = (app.server.address() as AddressInfo).port
const base = `http://127.0.0.1:${port}`

const postText = async (body: string, headers: Record<string, string> = {}): Promise<Response> =>
  await fetch(`${base}/api/v1/query?product=big`, { method: 'POST', headers: { 'content-type': 'text/plain', ...headers }, body })

t.test('1. one query request cannot exhaust memory or hold other requests up', async (t) => {
  const line = 'kernel-4.14.0-0.amzn2.x86_64'
  const res = await postText(Array(50_000).fill(line).join('\n'))
  t.equal(res.status, 200, '50,000 identical lines: 200')
  const answer = await res.json() as { checked: number, affected: number, results: Array<{ installed: string, advisories: unknown[] }> }
  t.equal(answer.checked, 50_000, 'every line was read')
  t.equal(answer.results.length, 1, 'identical installed lines are answered once')
  t.equal(answer.results[0]!.installed, line)
  t.equal(answer.results[0]!.advisories.length, kernelAdvisories, 'every kernel advisory applies, once each')
  const peakMb = process.resourceUsage().maxRSS / 1024
  t.ok(peakMb < 512, `peak RSS of the process serving it stays under 512 MB (${Math.round(peakMb)} MB)`)

  // Past the cost bound: refused before any matching. The bound counts the newest build of each installed
  // name and arch (as dnf compares) times the fixes listed for its name: 2 x 600 here.
  const bounded = await buildApp({ dbPath, queryLimits: { ...defaultQueryLimits, maxComparisons: 1000, maxResults: 250 } })
  t.teardown(async () => { await bounded.close() })
  const ask = async (lines: string[]): Promise<{ statusCode: number, json: () => { message: string } }> =>
    await bounded.inject({ method: 'POST', url: '/api/v1/query?product=big', headers: { 'content-type': 'text/plain' }, payload: lines.join('\n') })
  const tooMuch = await ask(['kernel-4.14.0-0.amzn2.x86_64', 'kernel-4.14.0-0.amzn2.i686'])
  t.equal(tooMuch.statusCode, 413, 'a query costing more than the bound: 413')
  t.match(tooMuch.json().message, /^packages: this query would compare 2 distinct installed packages with 1200 fixed packages of the same names, over the limit of 1000 comparisons per request/)
  // An answer listing more applicable advisories than the bound is refused too.
  const listed = await ask(['kernel-4.14.0-0.amzn2.x86_64'])
  t.equal(listed.statusCode, 413, '300 applicable advisories past a bound of 250 listed: 413')
  t.match(listed.json().message, /more than 250 applicable advisories/)
  t.equal(defaultQueryLimits.maxComparisons, 2_000_000, 'the default bounds')
  t.equal(defaultQueryLimits.maxResults, 50_000)
})

t.test('1. /healthz keeps answering while a large query runs', async (t) => {
  // 50,000 distinct kernels newer than every fix: each line read and compared with the others (only the
  // newest counts, as dnf decides), in slices; nothing applies.
  const lines = Array.from({ length: 50_000 }, (_, i) => `kernel-9.9.${i}-1.amzn2.x86_64`).join('\n')
  const order: string[] = []
  const progress = { answered: false }
  const query = postText(lines).then(async (res) => { progress.answered = true; order.push(`query ${res.status}`); return await res.json() as { affected: number } })
  // /healthz asked again and again, one at a time, until the query's answer comes (asked once, 50 ms after the
  // query, it raced a query that took less on a fast machine). The query reads and compares 50,000 lines in slices:
  // tens of milliseconds, a /healthz one or two.
  const health: number[] = []
  while (!progress.answered) {
    const res = await fetch(`${base}/healthz`)
    if (!progress.answered) order.push(`healthz ${res.status}`)
    health.push(res.status)
  }
  const answer = await query
  t.ok(health.every((status) => status === 200), `/healthz answered 200 (${health.join(', ')})`)
  t.equal(answer.affected, 0, 'the query completed')
  t.match(order[0], /^healthz 200$/, `/healthz was answered before the large query finished (${order.slice(0, 8).join(', ')}${order.length > 8 ? ', ...' : ''})`)
})

t.test('2. a render, its data stamp and its validators come from one snapshot', async (t) => {
  // Between the advisory row and its packages being read, an "ingest" commits a new title, a new package
  // version, a new generation and a new change time. The page must show one state or the other, never both.
  const stmt = (app.advisories as unknown as { s: { packages: { all: (...args: unknown[]) => unknown[] } } }).s.packages
  const all = stmt.all.bind(stmt)
  let state = 1
  let commitBeforeNextRead = true
  const changedAt = (n: number): string => `2030-01-${String(n).padStart(2, '0')}T00:00:00Z`
  stmt.all = (...args: unknown[]) => {
    if (commitBeforeNextRead) {
      commitBeforeNextRead = false
      state++
      const writer = new Database(dbPath)
      writer.transaction(() => {
        writer.prepare("UPDATE advisory SET title = ? WHERE id = 'SMALL-1'").run(`title ${state}`)
        writer.prepare("UPDATE advisory_package SET version = ? WHERE name = 'tiny'").run(`${state}.0`)
        writer.prepare("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'data_generation'").run()
        writer.prepare("UPDATE meta SET value = ? WHERE key = 'data_changed_at'").run(changedAt(state))
      })()
      writer.close()
    }
    return all(...args)
  }
  t.teardown(() => { stmt.all = all })
  const meta = (key: string): string => readRows<{ value: string }>(dbPath, 'SELECT value FROM meta WHERE key = ?', key)[0]!.value
  const generation = (): number => Number(meta('data_generation'))
  const before = generation()
  const changedBefore = meta('data_changed_at')
  const md5 = (bytes: Buffer | string): string => createHash('md5').update(bytes).digest('hex')
  const lastModified = (iso: string): string => new Date(iso).toUTCString()

  const first = await app.inject({ url: '/small/SMALL-1' })
  t.equal(first.statusCode, 200)
  t.equal(generation(), before + 1, 'an ingest committed while the page was rendered')
  t.match(first.body, 'first title', 'the title of the state the render began in')
  t.match(first.body, 'tiny-1.0-1.x86_64', 'the packages of that same state (not 2.0 from the next ingest)')
  t.notMatch(first.body, 'tiny-2.0-1')
  t.equal(first.headers['last-modified'], lastModified(changedBefore), 'the Last-Modified of that state')
  t.equal(first.headers.etag, `"${md5(first.rawPayload)}"`, 'the ETag of what it shows')

  const second = await app.inject({ url: '/small/SMALL-1' })
  t.match(second.body, 'title 2', 'the next request sees the new state (the body was kept under the state it shows)')
  t.match(second.body, 'tiny-2.0-1.x86_64')
  t.equal(second.headers['last-modified'], lastModified(changedAt(2)), 'with its Last-Modified')
  t.equal(second.headers.etag, `"${md5(second.rawPayload)}"`, 'and its ETag')

  // The API record the same way, and one ETag never goes with two bodies.
  const bodies = new Map<string, string>()
  for (let i = 0; i < 4; i++) {
    commitBeforeNextRead = i % 2 === 0
    const res = await app.inject({ url: '/api/v1/advisories/SMALL-1?product=small' })
    const record = res.json() as { title: string, packages: Array<{ version: string }> }
    const shown = Number(record.title.replace('title ', ''))
    t.equal(shown, Number(record.packages[0]!.version.replace('.0', '')), `request ${i}: title and packages from one state (${record.title}, ${record.packages[0]!.version})`)
    t.equal(res.headers['last-modified'], lastModified(changedAt(shown)), `request ${i}: the Last-Modified of the state shown`)
    const etag = String(res.headers.etag)
    t.equal(etag, `"${md5(res.rawPayload)}"`, `request ${i}: the ETag of the bytes shown`)
    if (bodies.has(etag)) t.equal(bodies.get(etag), res.body, `request ${i}: the same ETag, the same body`)
    bodies.set(etag, res.body)
  }

  // The OSV bulk export is read in batches (of 200), each in a snapshot, twice for a data version's first
  // request: once to hash it (its ETag), once to send it. An ingest during the hashing only means hashing again
  // (nothing was sent); one during the sending cuts the transfer off, never finished under an ETag its content
  // no longer matches.
  const ingestAtRead = (n: number): void => {
    let reads = 0
    stmt.all = (...args: unknown[]) => {
      if (++reads === n) {
        const writer = new Database(dbPath)
        writer.prepare("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'data_generation'").run()
        writer.close()
      }
      return all(...args)
    }
  }
  const url = `${base}/api/v1/osv/all.ndjson?product=big`
  const wholeUnder = async (res: Response, what: string): Promise<void> => {
    const text = await res.text()
    t.equal(text.trim().split('\n').length, kernelAdvisories, `${what}: whole`)
    // fetch asks for compression and decodes it: the weak form of the identity bytes' tag.
    t.equal(res.headers.get('etag'), `W/"${md5(text)}"`, `${what}: under the ETag of what it holds`)
  }
  const exportedAt = generation()
  ingestAtRead(50)
  const rehashed = await fetch(url)
  t.equal(generation(), exportedAt + 1, 'an ingest committed while the export was hashed')
  await wholeUnder(rehashed, 'hashed again and sent')

  ingestAtRead(201)
  const cut = await fetch(url)
  t.equal(cut.status, 200, 'the export starts (its tag known, it is sent at once)')
  await t.rejects(cut.text(), 'and is cut off when the data changes under it')
  t.equal(generation(), exportedAt + 2)
  await wholeUnder(await fetch(url), 'the next export')
})

interface RawResponse { status: number, head: string }

/** Bytes written as they are on a fresh socket, so no client normalises the URL on the way. */
async function raw (request: string): Promise<RawResponse> {
  return await new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1')
    const chunks: Buffer[] = []
    socket.on('data', (c) => chunks.push(c))
    socket.on('error', reject)
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('latin1')
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0), head: text.split('\r\n\r\n')[0]!.toLowerCase() })
    })
    socket.write(request)
  })
}

t.test('3. security headers on Fastify\'s own 400s and on Node\'s 431', async (t) => {
  const cases: Array<[string, string, number]> = [
    ['broken percent-encoding', 'GET /amzn2/%ZZ HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n', 400],
    ['overlong UTF-8', 'GET /amzn2/%C0%AF HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n', 400],
    ['lone surrogate', 'GET /cve/%ED%A0%80 HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n', 400],
    ['API path with a bad escape', 'GET /api/v1/packages/%E0%A4%A HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n', 400],
    ['a 20 KB header', `GET / HTTP/1.1\r\nhost: x\r\nx-big: ${'a'.repeat(20_000)}\r\n\r\n`, 431],
    ['a request line that is not HTTP', 'HELLO\r\n\r\n', 400]
  ]
  for (const [what, request, status] of cases) {
    const res = await raw(request)
    t.equal(res.status, status, `${what}: ${status}`)
    t.match(res.head, /\r\ncontent-security-policy: default-src 'none';[^\r]*frame-ancestors 'none'/, `${what}: CSP`)
    t.match(res.head, /\r\nx-content-type-options: nosniff/, `${what}: nosniff`)
    t.match(res.head, /\r\nx-frame-options: deny/, `${what}: X-Frame-Options`)
    t.match(res.head, /\r\nreferrer-policy: no-referrer/, `${what}: Referrer-Policy`)
  }
  const page = await app.inject({ url: '/amzn2/%ZZ' })
  t.match(page.headers['content-type'], /^text\/html/, 'a page URL gets the HTML error page')
  t.match(page.body, 'the URL is not valid')
  const api = await app.inject({ url: '/api/v1/advisories/%ZZ' })
  t.strictSame(Object.keys(api.json()).sort(), ['error', 'message'], 'an API URL gets the JSON error')
})

t.test('4. only GET and HEAD answers are open to other origins', async (t) => {
  const origin = 'https://elsewhere.example'
  const fromPage = await postText('kernel-4.14.0-0.amzn2.x86_64', { origin })
  t.equal(fromPage.status, 403, 'a text/plain POST from another origin (no preflight needed) is refused')
  t.equal(fromPage.headers.get('access-control-allow-origin'), null, 'and not readable by that page')
  t.match((await fromPage.json() as { message: string }).message, /cross-origin request from https:\/\/elsewhere\.example refused/)
  const json = await fetch(`${base}/api/v1/query`, { method: 'POST', headers: { 'content-type': 'application/json', origin }, body: JSON.stringify({ product: 'big', packages: ['kernel-4.14.0-0.amzn2.x86_64'] }) })
  t.equal(json.status, 403, 'a JSON POST from another origin too')
  const tool = await postText('kernel-4.14.0-0.amzn2.x86_64')
  t.equal(tool.status, 200, 'a tool without Origin is answered')
  t.equal(tool.headers.get('access-control-allow-origin'), null, 'without Access-Control-Allow-Origin')
  await tool.body?.cancel()
  const own = await postText('kernel-4.14.0-0.amzn2.x86_64', { origin: base })
  t.equal(own.status, 200, 'the portal\'s own origin is answered')
  await own.body?.cancel()
  const preflight = await app.inject({ method: 'OPTIONS', url: '/api/v1/query', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' } })
  t.equal(preflight.headers['access-control-allow-origin'], undefined, 'a preflight for POST is not allowed')
  t.notMatch(String(preflight.headers['access-control-allow-methods'] ?? ''), /POST/)
  const get = await fetch(`${base}/api/v1/products`, { headers: { origin } })
  t.equal(get.headers.get('access-control-allow-origin'), '*', 'GET stays open to every origin')
  await get.body?.cancel()
  const head = await fetch(`${base}/api/v1/products`, { method: 'HEAD', headers: { origin } })
  t.equal(head.headers.get('access-control-allow-origin'), '*', 'HEAD too')
})

t.test('5. unknown query parameters: 400 from the API and feeds, ignored by pages without a new cache entry', async (t) => {
  const cases: Array<[string, string]> = [
    ['/api/v1/advisories?severty=critical', 'severty'],
    ['/api/v1/advisories?severity=critical&_=1', '_'],
    ['/api/v1/products?_=1', '_'],
    ['/api/v1/advisories/SMALL-1?product=small&x=1', 'x'],
    ['/api/v1/cves/CVE-2024-0001?cachebust=1', 'cachebust'],
    ['/api/v1/packages/kernel?foo=bar', 'foo'],
    ['/api/v1/osv/all.ndjson?format=zip', 'format']
  ]
  for (const [url, param] of cases) {
    const res = await app.inject({ url })
    t.equal(res.statusCode, 400, `${url}: 400`)
    t.equal(res.json().message, `${param}: unknown parameter "${param}"; /openapi.json lists the parameters of every endpoint`, `${url}: names ${param}`)
  }
  const feed = await app.inject({ url: '/feeds/advisories.rss?severty=critical' })
  t.equal(feed.statusCode, 400, 'a feed with an unknown parameter: 400')
  t.match(feed.body, /^400 Bad request: severty: unknown parameter "severty"/)

  const cache = app.bodyCache
  const pages = ['/?severity=important', '/big', '/big/BIG-2024-0001', '/packages/kernel', '/products', '/feeds']
  for (const url of pages) {
    const first = await app.inject({ url })
    t.equal(first.statusCode, 200, `${url}: 200`)
    const entries = cache.size
    for (let i = 0; i < 5; i++) {
      const busted = await app.inject({ url: `${url}${url.includes('?') ? '&' : '?'}_=${i}&utm_source=mail` })
      t.equal(busted.statusCode, 200, `${url} with junk parameters: 200`)
      t.equal(busted.body, first.body, `${url} with junk parameters: the same page`)
    }
    t.equal(cache.size, entries, `${url}: junk parameters made no new cache entry`)
  }
  // Known parameters in another order or spelling are the same feed, from the same entry.
  const a = await app.inject({ url: '/feeds/advisories.atom?severity=low&product=small' })
  const entries = cache.size
  const b = await app.inject({ url: '/feeds/advisories.atom?product=small&severity=LOW' })
  t.equal(b.body, a.body, 'the same feed')
  t.equal(cache.size, entries, 'from the same cache entry')
})
