import { buildApp } from './server/app.js'
let t0 = performance.now()
const app = await buildApp({ dbPath: '/tmp/big/n.db', publicUrl: 'https://security.example.org', dynamicUrl: null, cveFeeds: false })
console.log('buildApp', (performance.now() - t0).toFixed(0))
const listed = app.data.read(() => app.siteIndex.listed())
const mid = listed[10000]!
const g = app.data.read(() => app.siteIndex.groupsOf(mid.pk))
const enc = encodeURIComponent
const urls = ['/', '/bench', '/page/200', '/bench/page/200', '/api/v1/products/bench/advisories/page/10.json', '/stats', '/api/v1/stats', '/api/v1/stats.csv', '/products', '/api/v1/products', '/feeds', '/docs/api', '/openapi.json', '/robots.txt', '/404/not/found',
  '/sitemap.xml', '/sitemaps/1.xml', '/sitemaps/2.xml', `/bench/${enc(mid.id)}`, `/api/v1/products/bench/advisories/${enc(mid.id)}.json`, `/api/v1/products/bench/advisories/${enc(mid.id)}.osv.json`,
  ...g.names.flatMap((n) => [`/packages/${enc(n)}`, `/api/v1/packages/${enc(n)}`, `/feeds/packages/${enc(n)}.rss`, `/feeds/packages/${enc(n)}.atom`, `/feeds/packages/${enc(n)}.json`]),
  ...g.cves.flatMap((c) => [`/cve/${c}`, `/api/v1/cves/${c}`]), '/feeds/advisories.rss', '/feeds/advisories.atom', '/feeds/advisories.json', '/feeds/bench.rss', '/feeds/severity/important.rss']
let total = 0
for (const url of urls) {
  const t = performance.now()
  const r = await app.inject({ url, headers: { host: 'security.example.org' } })
  const ms = performance.now() - t
  total += ms
  console.log(ms.toFixed(0).padStart(6), r.statusCode, r.rawPayload.length, url)
}
console.log('total', total.toFixed(0), 'docs', urls.length)
await app.close()
