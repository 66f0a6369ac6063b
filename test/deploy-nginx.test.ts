// deploy/nginx/llsc.conf, run: a real nginx (Debian's nginx-light) in front of the real server on loopback, over
// a database the real worker filled with the demo. Pages, feeds and the API through the proxy; its cache (HIT,
// 304s, one copy per encoding, keyed by host); the body limits; and the query rate limit seeing each client's
// own address, sent from 127.0.0.1 and 127.0.0.2 (any 127/8 address can be bound on Linux).
import type { FastifyInstance } from 'fastify'
import { existsSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { brotliDecompressSync, gunzipSync } from 'node:zlib'
import t, { type Test } from 'tap'
import type { AppOptions } from '../server/app.js'
import { defaultQueryLimits } from '../server/matching/query-answer.js'
import { ask, nginxBinary, startNginx, type Ask, type Nginx } from './helpers/nginx.js'
import { projectDir } from './helpers/paths.js'
import { demoRepos, ingestOk, testApp, testDb } from './helpers/test-app.js'

const siteFile = join(projectDir, 'deploy', 'nginx', 'llsc.conf')
if (!existsSync(nginxBinary)) throw new Error(`${nginxBinary} is missing: apt-get install nginx-light (.ci/run installs it)`)

const { dbPath } = testDb(t)
await ingestOk(t, dbPath, demoRepos(['amzn2']))

/** The server (listening on 127.0.0.1, a free port) and nginx in front of it with the site file; both stopped when the test ends. */
async function behindNginx (t: Test, options: Omit<AppOptions, 'dbPath'> = {}): Promise<{ app: FastifyInstance, nginx: Nginx, direct: (path: string, options?: Ask) => ReturnType<typeof ask> }> {
  const app = await testApp(t, { dbPath, ...options })
  await app.listen({ host: '127.0.0.1', port: 0 })
  const { port } = app.server.address() as AddressInfo
  const nginx = await startNginx(t, siteFile, port)
  return { app, nginx, direct: async (path, options) => await ask(`http://127.0.0.1:${port}${path}`, options) }
}

const query = (localAddress: string, headers: Record<string, string> = {}): Ask =>
  ({ method: 'POST', localAddress, headers: { 'content-type': 'text/plain', ...headers }, body: 'kernel-4.14.1-1.amzn2.x86_64\n' })

t.test('pages, feeds and the API through nginx, cached as the server allows', async (t) => {
  const { nginx, direct } = await behindNginx(t, { trustProxy: ['127.0.0.1'] })
  const first = (JSON.parse((await direct('/api/v1/advisories?product=amzn2&limit=1')).text) as { items: Array<{ id: string }> }).items[0]!.id

  for (const [path, type, holds] of [
    ['/', 'text/html; charset=utf-8', first],
    [`/amzn2/${first}`, 'text/html; charset=utf-8', first],
    ['/feeds/advisories.rss', 'application/rss+xml; charset=utf-8', first],
    ['/api/v1/products', 'application/json; charset=utf-8', '"amzn2"'],
    ['/check', 'text/html; charset=utf-8', 'rpm -qa']
  ]) {
    const miss = await ask(nginx.url(path))
    t.equal(miss.status, 200, `${path}: 200`)
    t.equal(miss.headers['content-type'], type, `${path}: type`)
    t.ok(miss.text.includes(holds!), `${path}: holds ${holds}`)
    t.equal(miss.headers['x-cache-status'], 'MISS', `${path}: first asked, from the server`)
    const hit = await ask(nginx.url(path))
    t.equal(hit.headers['x-cache-status'], 'HIT', `${path}: then from nginx's cache`)
    t.equal(hit.text, miss.text, `${path}: the same body`)
    t.equal(hit.headers.etag, miss.headers.etag, `${path}: the same ETag`)
    t.match(hit.headers['cache-control'], /^public, max-age=\d+$/, `${path}: the server's Cache-Control`)
  }

  const health = await ask(nginx.url('/readyz'))
  t.equal(health.status, 200)
  t.equal((await ask(nginx.url('/readyz'))).headers['x-cache-status'], 'MISS', 'no-store answers are never kept')

  const unknown = await ask(nginx.url('/api/v1/advisories/NOPE-1'))
  t.equal(unknown.status, 404, 'errors pass through')
  t.equal((await ask(nginx.url('/api/v1/advisories/NOPE-1'))).headers['x-cache-status'], 'MISS', 'and are not kept')
  t.notMatch(nginx.errorLog(), /\[(crit|alert|emerg)\]/, 'nothing grave in nginx\'s error log')
})

t.test('links are built from the client\'s Host and nginx\'s scheme, never from forged forwarding headers', async (t) => {
  const { nginx } = await behindNginx(t, { trustProxy: ['127.0.0.1'] })
  for (const host of ['portal.example', 'other.example']) {
    const feed = await ask(nginx.url('/feeds/advisories.rss'), { headers: { host, 'x-forwarded-host': 'evil.example', 'x-forwarded-proto': 'https' } })
    t.equal(feed.status, 200)
    t.match(feed.text, `<atom:link href="http://${host}/feeds/advisories.rss"`, `${host}: its own links (the cache key holds the host)`)
    t.notMatch(feed.text, new RegExp(`evil\\.example|https://${host}`), `${host}: the client's X-Forwarded-Host and -Proto are replaced by nginx`)
  }
})

t.test('304 for a current client, whether nginx holds the answer or not', async (t) => {
  const { nginx, direct } = await behindNginx(t, { trustProxy: ['127.0.0.1'] })
  const path = '/api/v1/advisories?limit=5'
  // The ETag hashes the body, whose links name the host: ask the server as nginx does (Host without the port).
  const { etag, 'last-modified': lastModified } = (await direct(path, { headers: { host: new URL(nginx.url(path)).hostname } })).headers
  t.match(etag, /^"[0-9a-f]{32}"$/, 'the server sends the MD5 of the body as a strong ETag')

  const cold = await ask(nginx.url(path), { headers: { 'if-none-match': etag! } })
  t.equal(cold.status, 304, 'not yet cached: nginx fetches the whole answer and tells the client it is current')
  t.equal(cold.headers['x-cache-status'], 'MISS')
  t.equal(cold.body.length, 0)
  const warm = await ask(nginx.url(path), { headers: { 'if-none-match': etag! } })
  t.equal(warm.status, 304, 'cached: nginx answers 304 itself')
  t.equal(warm.headers['x-cache-status'], 'HIT')
  t.equal((await ask(nginx.url(path), { headers: { 'if-modified-since': lastModified! } })).status, 304, 'If-Modified-Since too')
  t.equal((await ask(nginx.url(path), { headers: { 'if-none-match': `W/${etag!}` } })).status, 304, 'its weak form too (a compressed answer carries it)')
  t.equal((await ask(nginx.url(path), { headers: { 'if-none-match': 'W/"other"' } })).status, 200, 'another ETag gets the body')
})

t.test('compression passes through: each client gets the encoding it asked for, from the cache too', async (t) => {
  const { nginx } = await behindNginx(t, { trustProxy: ['127.0.0.1'] })
  const path = '/api/v1/advisories?limit=100'
  const decode = { br: brotliDecompressSync, gzip: gunzipSync, none: (b: Buffer) => b }
  for (const round of ['MISS', 'HIT']) {
    const plain = await ask(nginx.url(path))
    for (const [acceptEncoding, encoding] of [['gzip', 'gzip'], ['gzip, deflate, br', 'br'], ['', 'none'], ['identity', 'none'], ['br;q=0, gzip', 'gzip']] as const) {
      const res = await ask(nginx.url(path), { headers: acceptEncoding === '' ? {} : { 'accept-encoding': acceptEncoding } })
      const what = `${round}: Accept-Encoding "${acceptEncoding}"`
      t.equal(res.headers['content-encoding'], encoding === 'none' ? undefined : encoding, `${what}: ${encoding}`)
      t.match(res.headers.vary, /accept-encoding/i, `${what}: Vary kept`)
      t.equal(decode[encoding](res.body).toString('utf8'), plain.text, `${what}: the same JSON`)
      if (round === 'HIT') t.equal(res.headers['x-cache-status'], 'HIT', `${what}: from the cache`)
    }
  }
})

t.test('POST bodies up to the server\'s own 8 MiB limit reach it; larger ones nginx refuses in the server\'s words', async (t) => {
  const { app, nginx } = await behindNginx(t, { trustProxy: ['127.0.0.1'] })
  // One package and a comment to make up the size (the server reads at most 50,000 packages per request).
  const list = (bytes: number): string => { const head = 'kernel-4.14.1-1.amzn2.x86_64\n# '; return `${head}${'x'.repeat(bytes - head.length - 1)}\n` }
  const limit = 8 * 1024 * 1024
  const url = nginx.url('/api/v1/query?product=amzn2')

  const full = await ask(url, { ...query('127.0.0.1'), body: list(limit) })
  t.equal(full.status, 200, 'exactly 8 MiB is answered')
  t.equal(JSON.parse(full.text).checked, 1, 'its one package checked')
  t.equal(full.headers['x-cache-status'], undefined, 'query answers are not cached')

  const over = await ask(url, { ...query('127.0.0.1'), body: list(limit + 1) })
  const own = await app.inject({ method: 'POST', url: '/api/v1/query?product=amzn2', headers: { 'content-type': 'text/plain' }, payload: list(limit + 1) })
  t.equal(own.statusCode, 413, 'the server refuses one byte more')
  t.equal(over.status, 413, 'so does nginx')
  t.equal(over.text, own.body, 'with the server\'s own answer')
  t.equal(over.headers['content-type'], own.headers['content-type'])
  t.equal(over.headers['cache-control'], 'no-store')

  const form = (bytes: number): string => { const head = 'product=amzn2&packages='; return `${head}${'x'.repeat(bytes - head.length)}` }
  const check = async (bytes: number): Promise<Awaited<ReturnType<typeof ask>>> =>
    await ask(nginx.url('/check'), { method: 'POST', localAddress: '127.0.0.1', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form(bytes) })
  const page = await check(limit)
  t.equal(page.status, 200, '"Check a server" takes 8 MiB')
  t.match(page.headers['content-type'], /^text\/html/)
  const tooLarge = await check(limit + 1)
  t.equal(tooLarge.status, 413)
  t.equal(tooLarge.text, 'The pasted text is larger than 8 MB: check the packages of one server at a time.\n', 'in the words of the server\'s page')
  t.equal(tooLarge.headers['content-type'], 'text/plain; charset=utf-8')
})

t.test('the query rate limit counts each client address through the proxy', async (t) => {
  const queryLimits = { ...defaultQueryLimits, rateLimit: { max: 2, windowMs: 60_000 } }

  // 127.0.0.1: nginx's own address; loopback: what llsc-server.service sets (TRUST_PROXY=loopback).
  for (const trustProxy of [['127.0.0.1'], ['loopback']]) {
    t.test(`trusting the proxy (${trustProxy.join()}): 127.0.0.1 and 127.0.0.2 have a bucket each`, async (t) => {
      const { nginx } = await behindNginx(t, { trustProxy, queryLimits })
      const url = nginx.url('/api/v1/query?product=amzn2')
      t.same([(await ask(url, query('127.0.0.1'))).status, (await ask(url, query('127.0.0.1'))).status, (await ask(url, query('127.0.0.1'))).status], [200, 200, 429], '127.0.0.1: two queries, then 429')
      t.equal((await ask(url, query('127.0.0.2'))).status, 200, '127.0.0.2 still has its own two')
      t.equal((await ask(url, query('127.0.0.2'))).status, 200)
      t.equal((await ask(url, query('127.0.0.2'))).status, 429, 'and then it is limited too')
      const forged = await ask(url, query('127.0.0.1', { 'x-forwarded-for': '192.0.2.7' }))
      t.equal(forged.status, 429, 'a forged X-Forwarded-For does not buy a fresh bucket (nginx replaces it)')
    })
  }

  t.test('not trusting it: every client is the proxy, one bucket for all', async (t) => {
    const { nginx } = await behindNginx(t, { queryLimits })
    const url = nginx.url('/api/v1/query?product=amzn2')
    t.same([(await ask(url, query('127.0.0.1'))).status, (await ask(url, query('127.0.0.1'))).status], [200, 200])
    t.equal((await ask(url, query('127.0.0.2'))).status, 429, '127.0.0.2 shares 127.0.0.1\'s bucket')
  })
})

t.test('/metrics is for this machine only', async (t) => {
  const { nginx, direct } = await behindNginx(t, { trustProxy: ['127.0.0.1'] })
  t.equal((await ask(nginx.url('/metrics'), { localAddress: '127.0.0.2' })).status, 403, 'from another address: 403')
  const local = await ask(nginx.url('/metrics'), { localAddress: '127.0.0.1' })
  t.equal(local.status, (await direct('/metrics')).status, 'from 127.0.0.1: what the server answers')
  t.equal(local.headers['x-cache-status'], undefined, 'never cached')
})

t.test('with the server down, nginx still serves what it holds', async (t) => {
  const { app, nginx } = await behindNginx(t, { trustProxy: ['127.0.0.1'] })
  t.equal((await ask(nginx.url('/'))).status, 200)
  await app.close()
  const held = await ask(nginx.url('/'))
  t.equal(held.status, 200, 'a cached page')
  t.equal(held.headers['x-cache-status'], 'HIT')
  t.equal((await ask(nginx.url('/products'))).status, 502, 'an uncached page: 502')
})
