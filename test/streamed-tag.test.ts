// Waits before the first byte (server/http/idle-connection.ts). A streamed document (the OSV bundles) is
// hashed for its ETag before its first byte goes out, and the query's index is built after an ingest: at a
// million advisories either takes minutes. The connection's idle timeout must not cut the client off
// meanwhile, and requests arriving while a document is hashed wait for that one pass instead of each hashing it.
import t from 'tap'
import Fastify from 'fastify'
import { setTimeout as sleep } from 'node:timers/promises'
import { BodyCache, sendStreamed, type TaggedEntry, type Version } from '../server/http/cache.js'
import { demoRepos, ingestOk, testApp, testDb } from './helpers/test-app.js'

t.test('a slow hash: the client is not cut off, and concurrent requests share the pass', async (t) => {
  // Idle connections are cut after 300 ms; hashing the document takes about 600.
  const app = Fastify({ connectionTimeout: 300 })
  t.teardown(async () => { await app.close() })
  const cache = new BodyCache<TaggedEntry>()
  const version: Version = { key: 'v1', lastModified: new Date('2030-01-01T00:00:00Z'), lastModifiedText: 'Tue, 01 Jan 2030 00:00:00 GMT' }
  let passes = 0
  async function * chunks (): AsyncGenerator<string> {
    passes++
    for (let i = 0; i < 6; i++) {
      await sleep(100)
      yield `line ${i}\n`
    }
  }
  app.get('/bundle', async (request, reply) => await sendStreamed(cache, request, reply, { contentType: 'application/x-ndjson', maxAge: 60, key: 'bundle', open: () => ({ version, chunks }) }))
  await app.listen({ host: '127.0.0.1', port: 0 })
  const url = `http://127.0.0.1:${(app.server.address() as { port: number }).port}/bundle`
  const get = async (): Promise<{ status: number, etag: string | null, body: string }> => {
    const res = await fetch(url, { headers: { 'accept-encoding': 'identity' } })
    return { status: res.status, etag: res.headers.get('etag'), body: await res.text() }
  }

  const answers = await Promise.all([get(), get(), get()])
  const body = Array.from({ length: 6 }, (_, i) => `line ${i}\n`).join('')
  for (const [i, a] of answers.entries()) {
    t.equal(a.status, 200, `request ${i + 1}: answered, not cut off while the document was hashed`)
    t.equal(a.body, body, `request ${i + 1}: the whole document`)
    t.match(a.etag, /^"[0-9a-f]{32}"$/, `request ${i + 1}: with its ETag`)
  }
  t.equal(passes, 4, 'one hashing pass for the three requests, then one sending pass each')
  t.equal((await get()).etag, answers[0]!.etag, 'the tag is kept: a later request goes straight to sending')
  t.equal(passes, 5)
})

t.test('a query whose index takes longer than the connection timeout to build is answered', async (t) => {
  const { dbPath } = testDb(t)
  await ingestOk(t, dbPath, demoRepos(['amzn2']))
  // Idle connections are cut after 300 ms (twice the request timeout); the index takes 700.
  const app = await testApp(t, { dbPath, requestTimeoutMs: 150 })
  const matcherFor = app.matchers.matcherFor.bind(app.matchers)
  app.matchers.matcherFor = async (...args) => { await sleep(700); return await matcherFor(...args) }
  await app.listen({ host: '127.0.0.1', port: 0 })
  const res = await fetch(`http://127.0.0.1:${(app.server.address() as { port: number }).port}/api/v1/query`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ product: 'amzn2', packages: ['openssl-1.0.2k-1.amzn2.x86_64'] })
  })
  t.equal(res.status, 200, 'answered, not cut off while the index was built')
  t.match(await res.json(), { product: 'amzn2' })
})
