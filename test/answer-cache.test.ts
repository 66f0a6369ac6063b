// The cached path as the server sends it (server/http/answer-cache.ts, cache.ts, security-headers.ts): a GET
// or HEAD answered again from the body its URL was answered with goes out byte for byte as the first answer did
// (every header, in order), for pages, the API and feeds, in every encoding; a data change, a conditional
// request, another Host and a hook that sets its own header each still get what they got before; replayed
// answers count in /metrics like any other, those sent before Fastify sees the request (direct-replay.ts) too,
// which only routes without hooks of their own get, and none with the access log on; CORS preflights answer as
// @fastify/cors did.
import t from 'tap'
import Database from 'better-sqlite3'
import { readdirSync, readFileSync } from 'node:fs'
import { request as httpRequest } from 'node:http'
import { join } from 'node:path'
import type { AddressInfo } from 'node:net'
import { readRows } from './helpers/db.js'
import { parseMetrics, sampleValue } from './helpers/prometheus.js'
import { demoRepos, ingestOk, testApp, testDb } from './helpers/test-app.js'

interface Answer { status: number, headers: string[], body: Buffer }

t.test('answers replayed by URL', async (t) => {
  const { dbPath } = testDb(t)
  await ingestOk(t, dbPath, demoRepos(['amzn2']))
  const app = await testApp(t, { dbPath })
  await app.listen({ host: '127.0.0.1', port: 0 })
  const port = (app.server.address() as AddressInfo).port
  const ask = async (path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Answer> => await new Promise((resolve, reject) => {
    httpRequest({ host: '127.0.0.1', port, path, method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => {
        // Every header as sent, in order, but the date.
        const raw = res.rawHeaders.flatMap((v, i, all) => i % 2 === 0 && v.toLowerCase() !== 'date' ? [`${v}: ${all[i + 1]!}`] : [])
        resolve({ status: res.statusCode ?? 0, headers: raw, body: Buffer.concat(chunks) })
      })
    }).on('error', reject).end()
  })
  const header = (a: Answer, name: string): string | undefined => a.headers.find((h) => h.toLowerCase().startsWith(`${name}: `))?.slice(name.length + 2)
  const id = readRows<{ id: string }>(dbPath, "SELECT id FROM advisory WHERE product_id = 'amzn2' ORDER BY id LIMIT 1")[0]!.id
  const page = `/amzn2/${encodeURIComponent(id)}`

  t.test('the same bytes and headers as the first answer, in every encoding, for GET and HEAD', async (t) => {
    const hitsBefore = app.bodyCache.counts.hits
    const directBefore = app.answerCache.direct
    const urls = ['/', page, `${page}?junk=1`, '/?severity=important', '/api/v1/advisories?limit=2', `/api/v1/advisories/${encodeURIComponent(id)}?product=amzn2`, '/feeds/advisories.rss', '/products', '/sitemap.xml']
    const variants: Array<Record<string, string>> = [{}, { 'accept-encoding': 'gzip' }, { 'accept-encoding': 'gzip, deflate, br' }, { origin: 'https://elsewhere.example' }]
    for (const url of urls) {
      for (const headers of variants) {
        for (const method of ['GET', 'HEAD']) {
          const first = await ask(url, headers, method)
          t.equal(first.status, 200, `${method} ${url} ${JSON.stringify(headers)}`)
          for (const again of [await ask(url, headers, method), await ask(url, headers, method)]) {
            t.same(again.headers, first.headers, `${method} ${url} ${JSON.stringify(headers)}: the same headers, in order`)
            t.ok(again.body.equals(first.body), `${method} ${url} ${JSON.stringify(headers)}: the same bytes`)
          }
        }
      }
    }
    t.ok(app.answerCache.size >= urls.length, `the URLs are remembered (${app.answerCache.size})`)
    t.ok(app.bodyCache.counts.hits - hitsBefore >= urls.length * variants.length * 4, 'every answer from a kept body counts as a hit')
    // Every URL here is a route with no hooks of its own: each GET after its URL's first (in any encoding: the
    // encoding is chosen per request) is answered before Fastify sees it.
    t.equal(app.answerCache.direct - directBefore, urls.length * (variants.length * 3 - 1), 'the GETs after each URL\'s first answered before Fastify saw them (direct-replay.ts)')
    const first = await ask(page)
    t.match(header(first, 'content-security-policy'), /default-src 'none'/)
    t.equal(header(first, 'access-control-allow-origin'), '*')
    t.equal(header(first, 'vary'), 'Origin, accept-encoding')
  })

  t.test('a conditional request still gets its 304', async (t) => {
    const first = await ask(page)
    const etag = header(first, 'etag')!
    const fresh = await ask(page, { 'if-none-match': etag })
    t.equal(fresh.status, 304)
    t.equal(header(fresh, 'etag'), etag)
    t.equal(header(fresh, 'vary'), 'Origin, accept-encoding')
    t.equal((await ask(page, { 'if-none-match': '"other"' })).status, 200)
  })

  t.test('the links follow the Host they are asked under', async (t) => {
    const a = await ask('/api/v1/advisories?limit=1', { host: 'a.example' })
    const b = await ask('/api/v1/advisories?limit=1', { host: 'b.example' })
    t.match(a.body.toString(), 'http://a.example/')
    t.match(b.body.toString(), 'http://b.example/')
    t.match((await ask('/api/v1/advisories?limit=1', { host: 'a.example' })).body.toString(), 'http://a.example/', 'asked again')
  })

  t.test('a hook of the route\'s own that sets a header keeps its value', async (t) => {
    const direct = app.answerCache.direct
    for (let i = 0; i < 3; i++) t.equal(header(await ask('/check'), 'referrer-policy'), 'same-origin', `GET /check ${i + 1}`)
    t.equal(app.answerCache.direct, direct, 'a route with a hook of its own is never answered before Fastify sees it')
    t.equal(header(await ask('/'), 'referrer-policy'), 'no-referrer', 'and the other pages no-referrer')
  })

  t.test('replayed answers count under their route in /metrics', async (t) => {
    const count = async (): Promise<number> => sampleValue(parseMetrics((await app.inject('/metrics')).body), 'llsc_http_requests_total', { route: '/:product/:id', method: 'GET', status: '200' }) ?? 0
    const before = await count()
    const direct = app.answerCache.direct
    for (let i = 0; i < 5; i++) await ask(page)
    t.equal(app.answerCache.direct, direct + 5, 'answered before Fastify saw them')
    t.equal(await count(), before + 5)
  })

  t.test('after a change to the data, the new answer', async (t) => {
    const before = await ask(page)
    const writer = new Database(dbPath)
    writer.transaction(() => {
      writer.prepare('UPDATE advisory SET title = ? WHERE id = ?').run('A changed title', id)
      writer.prepare("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'data_generation'").run()
      writer.prepare("UPDATE meta SET value = ? WHERE key = 'data_changed_at'").run('2031-01-01T00:00:00Z')
    })()
    writer.close()
    const after = await ask(page)
    t.match(after.body.toString(), 'A changed title')
    t.not(header(after, 'etag'), header(before, 'etag'))
    t.equal(header(after, 'last-modified'), new Date('2031-01-01T00:00:00Z').toUTCString())
    t.same((await ask(page)).headers, after.headers, 'and that one replayed')
  })
})

t.test('with the access log on, no answer goes out before Fastify sees its request (the log would miss it)', async (t) => {
  const { dbPath } = testDb(t)
  await ingestOk(t, dbPath, demoRepos(['amzn2']))
  const app = await testApp(t, { dbPath, accessLog: true })
  await app.listen({ host: '127.0.0.1', port: 0 })
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}/products`
  for (let i = 0; i < 3; i++) t.equal((await fetch(url)).status, 200)
  t.ok(app.answerCache.size > 0, 'the URL is remembered')
  t.equal(app.answerCache.direct, 0, 'and replayed through Fastify, hooks and all')
})

t.test('what is never replayed: a route with hooks between parsing and its handler, a URL that fails validation', async (t) => {
  const { dbPath } = testDb(t)
  await ingestOk(t, dbPath, demoRepos(['amzn2']))
  const app = await testApp(t, { dbPath })
  let checks = 0
  const versionedRoute = { preHandler: (_request: unknown, _reply: unknown, done: () => void) => { checks++; done() } }
  app.get('/test/checked', versionedRoute, async (_request, reply) => reply.versioned({ scope: 'data', contentType: 'text/plain; charset=utf-8', maxAge: 60, key: 'test checked', render: () => 'checked' }))
  for (let i = 0; i < 3; i++) t.equal((await app.inject('/test/checked')).body, 'checked')
  t.equal(checks, 3, 'the preHandler ran for every request')
  const size = app.answerCache.size
  await app.inject('/api/v1/advisories?limit=1')
  t.equal(app.answerCache.size, size + 1, 'an API URL is remembered')
  for (const url of ['/api/v1/advisories?limit=1&limit=2', '/api/v1/advisories?limit=0', '/api/v1/advisories?limit=1&bogus=1']) {
    t.equal((await app.inject(url)).statusCode, 400, `${url} still fails validation`)
  }
})

t.test('no plugin adds preValidation or preHandler hooks with app.addHook (a replayed answer would skip them)', async (t) => {
  const sources = readdirSync('server', { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'))
  t.ok(sources.length > 20, `${sources.length} files read`)
  for (const file of sources) {
    t.notMatch(readFileSync(join('server', file), 'utf8'), /addHook\(\s*['"](preParsing|preValidation|preHandler)['"]/, file)
  }
})

t.test('CORS preflights answer as @fastify/cors answered them', async (t) => {
  const { dbPath } = testDb(t)
  await ingestOk(t, dbPath, demoRepos(['amzn2']))
  const app = await testApp(t, { dbPath })
  const preflight = async (headers: Record<string, string>, url = '/api/v1/advisories'): Promise<Awaited<ReturnType<typeof app.inject>>> => await app.inject({ method: 'OPTIONS', url, headers })
  const ok = await preflight({ origin: 'https://x.example', 'access-control-request-method': 'GET', 'access-control-request-headers': 'x-one' })
  t.equal(ok.statusCode, 204)
  t.match(ok.headers, { 'access-control-allow-origin': '*', 'access-control-allow-methods': 'GET, HEAD', 'access-control-allow-headers': 'x-one', vary: 'Origin, Access-Control-Request-Headers', 'content-length': '0', 'x-content-type-options': 'nosniff' })
  const noOrigin = await preflight({ 'access-control-request-method': 'HEAD' })
  t.equal(noOrigin.statusCode, 400)
  t.equal(noOrigin.body, 'Invalid Preflight Request')
  t.equal(noOrigin.headers['content-type'], 'text/plain')
  for (const method of ['POST', 'PUT', undefined]) {
    const refused = await preflight({ origin: 'https://x.example', ...(method === undefined ? {} : { 'access-control-request-method': method }) }, '/api/v1/query')
    t.equal(refused.statusCode, 404, `a preflight for ${method ?? 'no method'}: nothing there`)
    t.equal(refused.headers['access-control-allow-origin'], undefined)
    t.equal(refused.headers.vary, 'Origin, accept-encoding')
  }
  const post = await app.inject({ method: 'POST', url: '/api/v1/query', headers: { 'content-type': 'application/json' }, payload: { product: 'amzn2', packages: [] } })
  t.equal(post.headers['access-control-allow-origin'], undefined, 'no CORS grant on a POST')
  t.match(String(post.headers.vary), /^Origin/)
})
