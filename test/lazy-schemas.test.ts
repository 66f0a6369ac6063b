// Route schemas compiled on first use (the export's app) accept, coerce, refuse and serialize exactly as the
// live server's, which compiles them at start: same status, same body, for documents and for mistakes.
import t from 'tap'
import { demoRepos, ingestOk, testApp, testDb } from './helpers/test-app.js'

const requests: Array<{ method?: 'GET' | 'POST', url: string, payload?: string, status: number }> = [
  { url: '/api/v1/products', status: 200 },
  { url: '/api/v1/advisories?product=amzn2&severity=important&limit=3', status: 200 },
  { url: '/api/v1/products/amzn2/advisories/page/1.json', status: 200 },
  { url: '/api/v1/cves/CVE-2017-5754', status: 200 },
  { url: '/api/v1/stats', status: 200 },
  // Mistakes: a parameter the schema does not know, a number that is not one, a severity not in the list.
  { url: '/api/v1/advisories?severty=critical', status: 400 },
  { url: '/api/v1/advisories?limit=many', status: 400 },
  { url: '/api/v1/advisories?limit=0', status: 400 },
  { url: '/api/v1/products/amzn2/advisories/page/x.json', status: 400 },
  { url: '/api/v1/products/amzn2/advisories/page/99.json', status: 404 },
  { method: 'POST', url: '/api/v1/query', payload: '{"product": "amzn2", "packages": [], "server": "web1"}', status: 400 },
  { method: 'POST', url: '/api/v1/query', payload: '{"product": "amzn2", "packages": ["bash-4.2.46-12.amzn2.x86_64"]}', status: 200 }
]

// In a subtest: the root test may end while a request is still in flight (the query's matching waits on
// unreferenced timers), and its teardown would close the apps under the loop.
t.test('first-use and eager compilers answer alike', async (t) => {
  const { dbPath } = testDb(t)
  await ingestOk(t, dbPath, demoRepos(['amzn2']))
  const eager = await testApp(t, { dbPath })
  const onFirstUse = await testApp(t, { dbPath, compileSchemasOnFirstUse: true })

  for (const r of requests) {
    const request = { method: r.method ?? 'GET', url: r.url, ...(r.payload === undefined ? {} : { payload: r.payload, headers: { 'content-type': 'application/json' } }) }
    // The first-use app first, so its schema is compiled by this very request.
    const late = await onFirstUse.inject(request)
    const early = await eager.inject(request)
    t.equal(late.statusCode, r.status, `${request.method} ${r.url}: ${r.status}`)
    t.equal(late.statusCode, early.statusCode, `${request.method} ${r.url}: the same status`)
    t.equal(late.body, early.body, `${request.method} ${r.url}: the same body`)
  }
})
