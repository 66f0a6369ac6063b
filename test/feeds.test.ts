// Feeds read back by independent parsers (rss-parser, a strict XML parser, JSON Feed 1.1's required fields):
// ALAS titles, permalinks, UTC dates, severity, CVEs, NEVRAs, self links, filters, 304, hostile text.
import t, { type Test } from 'tap'
import Database from 'better-sqlite3'
import type { FastifyInstance } from 'fastify'
import { XMLParser } from 'fast-xml-parser'
import { join } from 'node:path'
import Parser from 'rss-parser'
import type { RepoSpec } from '../ingest/config.js'
import { runIngest } from '../ingest/run.js'
import { readRows } from './helpers/db.js'
import { writeRepo } from './helpers/repo-builder.js'
import { demoRepos, ingestOk, testApp, testDb } from './helpers/test-app.js'
import { wellFormed } from './helpers/xml.js'

const rssParser = new Parser({ customFields: { item: [['category', 'categories', { keepArray: true }]] } })
const xml = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@', isArray: (name) => ['item', 'entry', 'category', 'link'].includes(name) })

const hostileXml = (extra = ''): string => `<?xml version="1.0" encoding="UTF-8"?>
<updates>
  <update status="final" type="security" version="1">
    <id>HOST-2024:0001</id>
    <title>ends the CDATA ]]&gt; &amp; opens &lt;b&gt;bold&lt;/b&gt;</title>
    <issued date="2024-03-05 06:07:08"/>
    <updated date="2024-03-06 01:02:03"/>
    <severity>Critical</severity>
    <description>A ]]&gt; in the description &amp; an &lt;img src=x onerror=alert(1)&gt;.</description>
    <references><reference href="https://www.cve.org/CVERecord?id=CVE-2024-0001" id="CVE-2024-0001" type="cve"/></references>
    <pkglist><collection short="h">
      <package name="openssl" epoch="1" version="3.0.8" release="1.h1" arch="x86_64" src="openssl-3.0.8-1.h1.src.rpm"/>
      <package name="openssl-libs" epoch="1" version="3.0.8" release="1.h1" arch="aarch64" src="openssl-3.0.8-1.h1.src.rpm"/>
    </collection></pkglist>
  </update>
  ${extra}
</updates>`

interface Setup { dbPath: string, root: string, repos: RepoSpec[], app: FastifyInstance }

async function setup (t: Test, publicUrl: string | null = null): Promise<Setup> {
  const { dir, dbPath } = testDb(t)
  const root = join(dir, 'hostile')
  writeRepo(root, hostileXml())
  const repos: RepoSpec[] = [
    ...demoRepos(),
    { productId: 'hostile', productName: 'Hostile', url: root, kind: 'baseurl', baseurls: [root], name: 'hostile', allowedHosts: [] }
  ]
  await ingestOk(t, dbPath, repos)
  const app = await testApp(t, { dbPath, publicUrl })
  return { dbPath, root, repos, app }
}

interface Expected { id: string, product: string, severity: string | null, issued: string | null, updated: string | null, cves: string[], nevras: string[] }

function expected (dbPath: string, where = 'WHERE withdrawn = 0'): Expected[] {
  const rows = readRows<{ pk: number, id: string, product_id: string, severity: string | null, issued: string | null, updated: string | null }>(dbPath,
    `SELECT pk, id, product_id, severity, issued, updated FROM advisory ${where} ORDER BY coalesce(issued, '') DESC, id DESC, product_id DESC`)
  return rows.map((r) => ({
    id: r.id,
    product: r.product_id,
    severity: r.severity,
    issued: r.issued,
    updated: r.updated,
    cves: readRows<{ cve: string }>(dbPath, 'SELECT DISTINCT cve FROM advisory_cve WHERE advisory_pk = ? ORDER BY cve', r.pk).map((c) => c.cve),
    nevras: readRows<{ n: string }>(dbPath, `SELECT DISTINCT name || '-' || CASE epoch WHEN '0' THEN '' ELSE epoch || ':' END || version || '-' || release || '.' || arch AS n
      FROM advisory_package WHERE advisory_pk = ?`, r.pk).map((p) => p.n)
  }))
}

const canonical = (base: string, e: Expected): string => `${base}/${encodeURIComponent(e.product)}/${encodeURIComponent(e.id)}`
const base = 'http://localhost'

t.test('RSS, Atom and JSON Feed carry every advisory as an operator needs it', async (t) => {
  const { dbPath, app } = await setup(t)
  const want = expected(dbPath)
  t.equal(want.length, 30)
  // A feed's date is its newest item's (updated, else issued), not the time of the last ingest.
  const changedAt = readRows<{ value: string }>(dbPath, 'SELECT max(coalesce(updated, issued)) AS value FROM advisory WHERE withdrawn = 0')[0]!.value
  t.not(changedAt, readRows<{ value: string }>(dbPath, "SELECT value FROM meta WHERE key = 'data_changed_at'")[0]!.value)

  t.test('RSS 2.0', async (t) => {
    const res = await app.inject('/feeds/advisories.rss')
    t.equal(res.statusCode, 200)
    t.equal(res.headers['content-type'], 'application/rss+xml; charset=utf-8')
    t.equal(wellFormed(res.body), null, 'well-formed XML')
    const feed = await rssParser.parseString(res.body)
    t.equal(feed.items.length, want.length)
    const doc = xml.parse(res.body).rss.channel
    t.same(doc['atom:link'], { '@href': `${base}/feeds/advisories.rss`, '@rel': 'self', '@type': 'application/rss+xml' })
    t.equal(doc.lastBuildDate, new Date(changedAt).toUTCString(), 'lastBuildDate from the newest item')
    t.equal(doc.language, 'en')
    t.equal(doc.ttl, 30)
    want.forEach((e, i) => {
      const item = feed.items[i]!
      const raw = doc.item[i]
      t.match(item.title, new RegExp(`^${e.id.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}${e.severity === null ? '' : ` \\(${e.severity}\\)`}(: [^()]+)?$`), `${e.id}: ALAS title`)
      t.equal(item.link, canonical(base, e), `${e.id}: link`)
      t.same(raw.guid, { '#text': canonical(base, e), '@isPermaLink': 'true' }, `${e.id}: guid is the permalink`)
      if (e.issued !== null) t.equal(new Date(item.pubDate!).toISOString().replace('.000', ''), e.issued, `${e.id}: pubDate = issued, UTC`)
      t.match(raw.pubDate, /GMT$/)
      const content = item.content ?? ''
      t.match(content, `<strong>Severity:</strong> ${e.severity === null ? 'None' : e.severity[0]!.toUpperCase() + e.severity.slice(1)}`, `${e.id}: severity`)
      for (const cve of e.cves) t.match(content, `>${cve}</a>`, `${e.id}: ${cve}`)
      for (const n of e.nevras) t.match(content, `<code>${n}</code>`, `${e.id}: ${n}`)
      t.same(raw.category.map((c: { '@domain': string }) => c['@domain']), ['severity', 'type', 'product'])
    })
    const alas = feed.items.find((i) => i.link?.endsWith('/amzn2/ALAS2-2018-939'))
    t.equal(alas?.title, 'ALAS2-2018-939 (critical): kernel, perf, python-perf')
    t.match(alas?.content, '<code>yum update kernel perf python-perf</code>')
    t.equal(feed.items.find((i) => i.link?.endsWith('/rocky8/RLBA-2021%3A2580'))?.title, 'RLBA-2021:2580: firewalld', 'no severity, no parentheses')
  })

  t.test('Atom 1.0', async (t) => {
    const res = await app.inject('/feeds/advisories.atom?limit=1000')
    t.equal(res.headers['content-type'], 'application/atom+xml; charset=utf-8')
    t.equal(wellFormed(res.body), null)
    const feed = xml.parse(res.body).feed
    t.equal(feed['@xmlns'], 'http://www.w3.org/2005/Atom')
    t.same(feed.link.find((l: { '@rel': string }) => l['@rel'] === 'self'), { '@rel': 'self', '@href': `${base}/feeds/advisories.atom?limit=1000` })
    t.equal(feed.updated, new Date(changedAt).toISOString())
    t.equal(feed.entry.length, want.length)
    want.forEach((e, i) => {
      const entry = feed.entry[i]
      t.equal(entry.id, canonical(base, e), `${e.id}: id`)
      t.equal(entry.link[0]['@href'], canonical(base, e))
      if (e.issued !== null) t.equal(entry.published, new Date(e.issued).toISOString(), `${e.id}: published = issued`)
      const updated = e.updated ?? e.issued
      if (updated !== null) t.equal(entry.updated, new Date(updated).toISOString(), `${e.id}: updated = updated`)
      t.ok(entry.category.every((c: { '@term'?: string }) => typeof c['@term'] === 'string'), 'categories have a term')
    })
    const parsed = await rssParser.parseString(res.body)
    t.equal(parsed.items.length, want.length, 'rss-parser reads the Atom feed too')
  })

  t.test('JSON Feed 1.1', async (t) => {
    const res = await app.inject('/feeds/advisories.json')
    t.equal(res.headers['content-type'], 'application/feed+json; charset=utf-8')
    const feed = res.json()
    t.equal(feed.version, 'https://jsonfeed.org/version/1.1')
    t.type(feed.title, 'string')
    t.equal(feed.feed_url, `${base}/feeds/advisories.json`)
    t.equal(feed.home_page_url, `${base}/`)
    t.equal(feed.items.length, want.length)
    want.forEach((e, i) => {
      const item = feed.items[i]
      t.equal(item.id, canonical(base, e))
      t.equal(item.url, canonical(base, e))
      t.type(item.content_html, 'string', 'content is required')
      if (e.issued !== null) t.equal(item.date_published, new Date(e.issued).toISOString())
      for (const n of e.nevras) t.match(item.content_html, n)
      t.ok(item.tags.includes(e.severity ?? 'none'))
    })
  })
})

t.test('filters, short URLs, limit and errors', async (t) => {
  const { dbPath, app } = await setup(t)
  const ids = async (url: string): Promise<string[]> => {
    const res = await app.inject(url)
    t.equal(res.statusCode, 200, url)
    return (await rssParser.parseString(res.body)).items.map((i) => decodeURIComponent(i.link!.split('/').pop()!))
  }
  const sql = (where: string): string[] => expected(dbPath, `WHERE withdrawn = 0 AND ${where}`).map((e) => e.id)
  t.same(await ids('/feeds/advisories.rss?severity=critical,important'), sql("severity IN ('critical', 'important')"))
  t.same(await ids('/feeds/advisories.rss?severity=critical&severity=important&type=security'), sql("severity IN ('critical', 'important') AND type = 'security'"))
  t.same(await ids('/feeds/amzn2.rss'), sql("product_id = 'amzn2'"))
  t.same(await ids('/feeds/packages/kernel.rss'), sql("pk IN (SELECT advisory_pk FROM advisory_package WHERE name = 'kernel' OR src_name = 'kernel')"))
  t.same(await ids('/feeds/packages/openssl.rss'), ['HOST-2024:0001'], 'by source package name')
  t.same(await ids('/feeds/cve/CVE-2017-5715.rss'), sql("pk IN (SELECT advisory_pk FROM advisory_cve WHERE cve = 'CVE-2017-5715')"))
  t.same(await ids('/feeds/advisories.rss?limit=5'), sql('1').slice(0, 5))
  t.same(await ids('/feeds/packages/no-such-package.rss'), [], 'an empty result is a valid, empty feed')
  const title = xml.parse((await app.inject('/feeds/amzn2.atom?severity=critical')).body).feed.title
  t.equal(title, 'Lambda Linux Security Center: Amazon Linux 2 advisories, severity Critical', 'the title names product and filter')

  for (const [url, status, message] of [
    ['/feeds/advisories.rss?severity=bogus', 400, 'severity: unknown severity "bogus"'],
    ['/feeds/advisories.atom?limit=0', 400, 'limit: "0" must be a whole number from 1 to 1000'],
    ['/feeds/advisories.json?limit=1001', 400, 'limit: "1001" must be a whole number from 1 to 1000'],
    ['/feeds/advisories.rss?page=2', 400, 'page: feeds take limit'],
    ['/feeds/amzn2.rss?product=rocky8', 400, "product: this feed's URL already sets it"],
    ['/feeds/nope.rss', 404, 'There is no product "nope"'],
    ['/feeds/advisories.xml', 404, 'feeds end in .rss, .atom or .json'],
    ['/feeds/cve/nope.rss', 404, 'is not a CVE id']
  ] as Array<[string, number, string]>) {
    const res = await app.inject(url)
    t.equal(res.statusCode, status, url)
    t.equal(res.headers['content-type'], 'text/plain; charset=utf-8', url)
    t.match(res.body, message, url)
  }
})

t.test('conditional requests, compression and a new ETag after an ingest', async (t) => {
  const { dbPath, root, repos, app } = await setup(t)
  const first = await app.inject('/feeds/advisories.rss')
  const etag = first.headers.etag as string
  t.match(first.headers['cache-control'], /public, max-age=\d+/)
  t.equal((await app.inject({ url: '/feeds/advisories.rss', headers: { 'if-none-match': etag } })).statusCode, 304)
  t.equal((await app.inject({ url: '/feeds/advisories.rss', headers: { 'if-modified-since': first.headers['last-modified'] as string } })).statusCode, 304)
  t.equal((await app.inject({ url: '/feeds/advisories.rss', headers: { 'accept-encoding': 'br' } })).headers['content-encoding'], 'br')
  t.equal((await app.inject({ url: '/feeds/advisories.rss', headers: { 'accept-encoding': 'gzip' } })).headers['content-encoding'], 'gzip')

  writeRepo(root, hostileXml('<update type="security"><id>HOST-2030:0001</id><issued date="2030-01-01"/><severity>Low</severity></update>'))
  await runIngest({ dbPath, repos: repos.slice(-1) })
  const after = await app.inject({ url: '/feeds/advisories.rss', headers: { 'if-none-match': etag } })
  t.equal(after.statusCode, 200)
  t.not(after.headers.etag, etag, 'a new ETag')
  t.equal((await rssParser.parseString(after.body)).items[0]?.title, 'HOST-2030:0001 (low)', 'the new advisory is first')
})

t.test('the feed stays valid whatever an advisory holds: ]]>, &, <, control characters', async (t) => {
  const { dbPath, app } = await setup(t)
  // The ingest never stores control characters; a database written by other tools might.
  const db = new Database(dbPath)
  db.prepare("UPDATE advisory SET title = ?, description = ? WHERE id = 'HOST-2024:0001'").run('bad \u0001\u0008\u000b\ufffe\ud800 chars ]]> end', 'desc \u0002 ]]> & <b>')
  db.prepare("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'data_generation'").run()
  db.close()
  for (const format of ['rss', 'atom']) {
    const res = await app.inject(`/feeds/hostile.${format}`)
    t.equal(wellFormed(res.body), null, `${format} is well-formed`)
    const feed = await rssParser.parseString(res.body)
    t.equal(feed.items.length, 1)
    const content = feed.items[0]!.content ?? ''
    t.match(content, /<p>bad [^<]*chars \]\]&gt; end<\/p>/, `${format}: the title text survives, escaped`)
    // eslint-disable-next-line no-control-regex
    t.notMatch(res.body, /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/, `${format}: no character XML forbids`)
    t.match(content, 'desc  ]]&gt; &amp; &lt;b&gt;', `${format}: the description survives, escaped`)
    t.notMatch(content, '<b>', `${format}: no markup from the advisory`)
  }
  const atom = xml.parse((await app.inject('/feeds/hostile.atom')).body).feed
  t.equal(atom.entry[0].title['#text'], 'HOST-2024:0001 (critical): openssl', 'Atom title')
  const json = (await app.inject('/feeds/hostile.json')).json()
  t.match(json.items[0].content_html, 'bad \u0001\u0008\u000b')
})

t.test('PUBLIC_URL makes every absolute URL', async (t) => {
  const { app } = await setup(t, 'https://security.example.org/portal')
  const res = await app.inject('/feeds/hostile.rss?severity=critical')
  const doc = xml.parse(res.body).rss.channel
  t.equal(doc['atom:link']['@href'], 'https://security.example.org/portal/feeds/hostile.rss?severity=critical')
  t.same(doc.link, ['https://security.example.org/portal/hostile?severity=critical'])
  t.same(doc.item[0].link, ['https://security.example.org/portal/hostile/HOST-2024%3A0001'])
})

t.test('pages advertise the feed that matches them', async (t) => {
  const { app } = await setup(t)
  for (const [url, feed] of [
    ['/?severity=critical&page=1', '/feeds/advisories.rss?severity=critical'],
    ['/amzn2?type=security', '/feeds/amzn2.rss?type=security'],
    ['/cve/CVE-2017-5715', '/feeds/cve/CVE-2017-5715.rss'],
    ['/packages/kernel', '/feeds/packages/kernel.rss']
  ] as Array<[string, string]>) {
    const html = (await app.inject(url)).body
    t.match(html, `<link rel="alternate" type="application/rss+xml" href="${feed.replace(/&/g, '&amp;')}"`, url)
    t.match(html, `<link rel="alternate" type="application/atom+xml" href="${feed.replace('.rss', '.atom').replace(/&/g, '&amp;')}"`, url)
    t.match(html, `<link rel="alternate" type="application/feed+json" href="${feed.replace('.rss', '.json').replace(/&/g, '&amp;')}"`, url)
    t.match(html, `<a href="${feed.replace(/&/g, '&amp;')}" type="application/rss+xml">RSS</a>`, `${url}: a visible link`)
    const res = await app.inject(feed)
    t.equal(res.statusCode, 200, `${feed} works`)
  }
  const page = await app.inject('/feeds')
  t.match(page.body, 'default 100, at most 1000')
})
