// robots.txt and the sitemap: an index of sitemaps of at most 50,000 URLs of one kind each, listing every page
// of the site (every list page, advisory, CVE and package page) at the public URL, each answering 200.
import t from 'tap'
import { XMLParser } from 'fast-xml-parser'
import { readRows } from './helpers/db.js'
import { demoRepos, ingestOk, testApp, testDb } from './helpers/test-app.js'

t.test('the sitemap lists every page, and every page it lists answers', async (t) => {
  const { dbPath } = testDb(t)
  await ingestOk(t, dbPath, demoRepos())
  const app = await testApp(t, { dbPath, publicUrl: 'https://security.example.org' })
  const parser = new XMLParser({ isArray: (name) => name === 'url' || name === 'sitemap' })

  const robots = await app.inject({ url: '/robots.txt' })
  t.equal(robots.statusCode, 200)
  t.equal(robots.body, 'User-agent: *\nAllow: /static/\nDisallow: /check\nDisallow: /*?\nSitemap: https://security.example.org/sitemap.xml\n')

  const index = await app.inject({ url: '/sitemap.xml' })
  t.equal(index.statusCode, 200)
  t.match(index.headers['content-type'], /^application\/xml/)
  const sitemaps = (parser.parse(index.body) as { sitemapindex: { sitemap: Array<{ loc: string }> } }).sitemapindex.sitemap.map((s) => s.loc)
  t.same(sitemaps, ['pages', 'advisories', 'cves', 'packages'].map((kind) => `https://security.example.org/sitemaps/${kind}-1.xml`), 'one sitemap of each kind for the demo')
  const read = async (file: string): Promise<Array<{ loc: string, lastmod?: string }>> =>
    (parser.parse((await app.inject({ url: `/sitemaps/${file}` })).body) as { urlset: { url: Array<{ loc: string, lastmod?: string }> } }).urlset.url
  const kinds = { pages: await read('pages-1.xml'), advisories: await read('advisories-1.xml'), cves: await read('cves-1.xml'), packages: await read('packages-1.xml') }
  const urls = Object.values(kinds).flat()
  const only = (list: Array<{ loc: string }>, pattern: RegExp): string[] => list.map((u) => u.loc.replace('https://security.example.org', '')).filter((p) => !pattern.test(p))
  t.same(only(kinds.pages, /^\/(?:page\/\d+|products|feeds|docs\/api|stats|[^/]+(?:\/page\/\d+)?)?$/), [], 'pages-1: the lists and the site\'s pages')
  t.ok(kinds.pages.some((u) => u.loc.endsWith('/stats')), '/stats among them')
  t.same(only(kinds.advisories, /^\/[^/]+\/[^/]+$/), [], 'advisories-1: advisory pages')
  t.ok(kinds.advisories.every((u) => /^\d{4}-\d{2}-\d{2}T/.test(u.lastmod ?? '')), 'each with its date')
  t.same(only(kinds.cves, /^\/cve\/[^/]+(?:\/page\/\d+)?$/), [], 'cves-1: CVE pages')
  t.same(only(kinds.packages, /^\/packages\/[^/]+(?:\/page\/\d+)?$/), [], 'packages-1: package pages')

  const paths = urls.map((u) => u.loc.replace('https://security.example.org', ''))
  t.equal(new Set(paths).size, paths.length, 'no URL twice')
  const advisories = readRows<{ product_id: string, id: string }>(dbPath, 'SELECT product_id, id FROM advisory')
  for (const a of advisories) t.ok(paths.includes(`/${encodeURIComponent(a.product_id)}/${encodeURIComponent(a.id)}`), `${a.product_id}/${a.id} listed`)
  const cves = readRows<{ cve: string }>(dbPath, 'SELECT DISTINCT cve FROM advisory_cve')
  for (const { cve } of cves) t.ok(paths.includes(`/cve/${cve}`), `${cve} listed`)
  const names = readRows<{ n: string }>(dbPath, 'SELECT DISTINCT name AS n FROM advisory_package UNION SELECT DISTINCT src_name FROM advisory_package WHERE src_name IS NOT NULL')
  for (const { n } of names) t.ok(paths.includes(`/packages/${encodeURIComponent(n)}`), `package ${n} listed`)
  t.ok(urls.some((u) => /^\d{4}-\d{2}-\d{2}T/.test(u.lastmod ?? '')), 'advisory pages carry their date')
  const failing: string[] = []
  for (const path of paths) {
    const res = await app.inject({ url: path })
    if (res.statusCode !== 200) failing.push(`${path}: ${res.statusCode}`)
  }
  t.same(failing, [], `every one of the ${paths.length} listed pages answers 200`)
  t.equal((await app.inject({ url: '/sitemaps/advisories-2.xml' })).statusCode, 404, 'no second sitemap of advisories')
  t.equal((await app.inject({ url: '/sitemaps/1.xml' })).statusCode, 400, 'no sitemap without a kind')
})
