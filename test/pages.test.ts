// The portal's pages over a database ingested from the demo fixtures plus a hostile repo: what a security
// engineer checks on each page, filters and search against independent SQL, escaping, 404/500, caching.
import t, { type Test } from 'tap'
import Database from 'better-sqlite3'
import { createHash } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import { join } from 'node:path'
import type { RepoSpec } from '../ingest/config.js'
import { runIngest } from '../ingest/run.js'
import { readRows } from './helpers/db.js'
import { writeRepo } from './helpers/repo-builder.js'
import { demoRepos, ingestOk, testApp, testDb } from './helpers/test-app.js'

const hostileXml = (extra = ''): string => `<?xml version="1.0" encoding="UTF-8"?>
<updates>
  <update from="x@example.com" status="final" type="security" version="1">
    <id>HOST-2024:0001</id>
    <title>&lt;script&gt;alert('title')&lt;/script&gt; openssl fix</title>
    <issued date="2024-03-05 06:07:08"/>
    <updated date="2024-03-06"/>
    <severity>Critical</severity>
    <description>First paragraph &lt;img src=x onerror=alert(1)&gt;.
Second line of it.

Second paragraph &amp; more.</description>
    <references>
      <reference href="javascript:alert(1)" id="EVIL-1" type="vendor" title="evil link"/>
      <reference href="https://bugzilla.example.com/1234" id="1234" type="bugzilla" title="openssl bug"/>
      <reference href="https://www.cve.org/CVERecord?id=CVE-2024-0001" id="CVE-2024-0001" type="cve"/>
    </references>
    <pkglist>
      <collection short="h">
        <package name="openssl" epoch="1" version="3.0.8" release="1.h1" arch="x86_64" src="openssl-3.0.8-1.h1.src.rpm">
          <filename>openssl-3.0.8-1.h1.x86_64.rpm</filename>
          <reboot_suggested>True</reboot_suggested>
        </package>
        <package name="openssl-libs" epoch="1" version="3.0.8" release="1.h1" arch="aarch64" src="openssl-3.0.8-1.h1.src.rpm">
          <filename>openssl-libs-3.0.8-1.h1.aarch64.rpm</filename>
        </package>
        <package name="openssl" epoch="0" version="3.0.8" release="1.h1" arch="src">
          <filename>openssl-3.0.8-1.h1.src.rpm</filename>
        </package>
      </collection>
    </pkglist>
  </update>
  <update status="final" type="bugfix" version="1">
    <id>ALAS2-2018-939</id>
    <title>same id as an Amazon Linux 2 advisory</title>
    <issued date="2018-01-01"/>
    <pkglist><collection><package name="zlib" version="1" release="1" arch="noarch"/></collection></pkglist>
  </update>
  <update status="final" type="enhancement" version="1">
    <id>HOST/2024 "odd" &lt;id&gt;</id>
    <title>an id with a slash, quotes and angle brackets</title>
    <issued date="2024-01-01"/>
  </update>
  ${extra}
</updates>`

async function setup (t: Test): Promise<{ dbPath: string, hostileRoot: string, repos: RepoSpec[], app: FastifyInstance }> {
  const { dir, dbPath } = testDb(t)
  const hostileRoot = join(dir, 'hostile')
  writeRepo(hostileRoot, hostileXml())
  const repos: RepoSpec[] = [
    ...demoRepos(),
    { productId: 'hostile', productName: 'Hostile <Linux>', url: hostileRoot, kind: 'baseurl', baseurls: [hostileRoot], name: 'hostile', allowedHosts: [] }
  ]
  await ingestOk(t, dbPath, repos)
  const app = await testApp(t, { dbPath })
  return { dbPath, hostileRoot, repos, app }
}

/** Advisory ids in the order the list shows them. */
function listedIds (html: string): string[] {
  return [...html.matchAll(/<th scope="row"><a href="[^"]*">([^<]*)<\/a>/g)].map((m) => decodeEntities(m[1]!))
}

function decodeEntities (s: string): string {
  return s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&')
}

function sqlIds (dbPath: string, where: string, ...params: unknown[]): string[] {
  return readRows<{ id: string }>(dbPath, `SELECT id FROM advisory a ${where} ORDER BY id`, ...params).map((r) => r.id)
}

t.test('pages', async (t) => {
  const { dbPath, hostileRoot, repos, app } = await setup(t)
  const get = async (url: string, headers: Record<string, string> = {}): Promise<Awaited<ReturnType<typeof app.inject>>> => await app.inject({ url, headers })

  t.test('the advisory page shows what ALAS shows, in its order', async (t) => {
    const res = await get('/amzn2/ALAS2-2018-939')
    t.equal(res.statusCode, 200)
    const html = res.body
    t.equal(html.match(/<h1[ >]/g)?.length, 1, 'one h1')
    t.match(html, '<h1>Amazon Linux 2 Security Advisory: ALAS2-2018-939</h1>')
    t.match(html, '<time datetime="2018-01-11T21:05:00Z">2018-01-11 21:05 UTC</time>')
    t.match(html, '<span class="badge sev-critical">Critical</span>')
    for (const cve of ['CVE-2017-5715', 'CVE-2017-5754']) {
      t.match(html, `<a href="/cve/${cve}">${cve}</a>`)
      t.match(html, `href="https://www.cve.org/CVERecord?id=${cve}"`)
    }
    t.match(html, '<code class="command">yum update kernel perf python-perf</code>', 'source names, derived when updateinfo has no src')
    const order = ['id="cves"', 'id="overview"', 'id="affected"', 'id="correction"', 'id="new-packages"']
    t.same(order.map((s) => html.indexOf(s)), order.map((s) => html.indexOf(s)).sort((a, b) => a - b), 'sections in ALAS order')
    const packages = readRows<{ arch: string, nevra: string }>(dbPath, `SELECT p.arch, p.name || '-' || p.version || '-' || p.release || '.' || p.arch AS nevra
      FROM advisory_package p JOIN advisory a ON a.pk = p.advisory_pk WHERE a.product_id = 'amzn2' AND a.id = 'ALAS2-2018-939'`)
    t.equal(packages.length, 13)
    for (const arch of new Set(packages.map((p) => p.arch))) {
      const section = html.split(`<h3 class="arch">${arch}:</h3>`)[1]?.split('</ul>')[0] ?? ''
      const expected = packages.filter((p) => p.arch === arch).map((p) => `<li><code>${p.nevra}</code></li>`)
      for (const line of expected) t.ok(section.includes(line), `${line} under ${arch}`)
      t.equal(section.match(/<li>/g)?.length, expected.length, `${arch}: nothing else`)
    }
  })

  t.test('epoch, reboot, references, paragraphs and escaping on a hostile advisory', async (t) => {
    const html = (await get('/hostile/HOST-2024%3A0001')).body
    t.notMatch(html, '<script>', 'no script element anywhere')
    t.notMatch(html, '<img', 'no img element from the description')
    t.match(html, '&lt;script&gt;alert(&#39;title&#39;)&lt;/script&gt; openssl fix')
    t.match(html, 'Hostile &lt;Linux&gt; Security Advisory: HOST-2024:0001')
    t.match(html, '<code>openssl-1:3.0.8-1.h1.x86_64</code>', 'epoch shown when not 0')
    t.match(html, '<code>openssl-3.0.8-1.h1.src</code>', 'epoch 0 is not shown')
    t.match(html, /<h3 class="arch">aarch64:<\/h3>[\s\S]*<h3 class="arch">src:<\/h3>[\s\S]*<h3 class="arch">x86_64:<\/h3>/)
    t.match(html, '<code class="command">yum update openssl</code>', 'source package names, once')
    t.match(html, 'A reboot is suggested')
    t.match(html, /<p class="text">First paragraph &lt;img src=x onerror=alert\(1\)&gt;.\nSecond line of it.<\/p>\s*<p class="text">Second paragraph &amp; more.<\/p>/)
    t.notMatch(html, 'href="javascript:', 'unsafe reference links are shown as text')
    t.match(html, '<a href="https://bugzilla.example.com/1234" rel="external noopener">1234</a>: openssl bug')
    t.match(html, '<time datetime="2024-03-06T00:00:00Z">2024-03-06</time>', 'a date-only updated shows no time')
  })

  t.test('odd ids have a working canonical URL; bare ids redirect or offer a choice', async (t) => {
    const id = 'HOST/2024 "odd" <id>'
    const res = await get(`/hostile/${encodeURIComponent(id)}`)
    t.equal(res.statusCode, 200)
    t.match(res.body, 'HOST/2024 &quot;odd&quot; &lt;id&gt;</h1>')
    const bare = await get('/advisories/HOST-2024%3A0001')
    t.equal(bare.statusCode, 301)
    t.equal(bare.headers.location, '/hostile/HOST-2024%3A0001')
    t.equal((await get('/RLSA-2021:3057.html')).headers.location, '/rocky8/RLSA-2021%3A3057', 'ALAS-style .html URL')
    const ambiguous = await get('/ALAS2-2018-939')
    t.equal(ambiguous.statusCode, 300)
    t.match(ambiguous.body, '<a href="/amzn2/ALAS2-2018-939">')
    t.match(ambiguous.body, '<a href="/hostile/ALAS2-2018-939">')
  })

  t.test('unknown advisories, CVEs, packages and pages give a helpful 404', async (t) => {
    for (const [url, text] of ([
      ['/amzn2/ALAS2-2099-1', 'amzn2 has no advisory &quot;ALAS2-2099-1&quot;'],
      ['/rocky8/ALAS2-2018-939', 'It exists in amzn2, hostile.'],
      ['/NOPE-1', 'No advisory or product is called &quot;NOPE-1&quot;'],
      ['/cve/CVE-1999-0001', 'No advisory in this portal fixes CVE-1999-0001'],
      ['/cve/not-a-cve', 'is not a CVE id'],
      ['/packages/no-such-package', 'No advisory touches a package called &quot;no-such-package&quot;'],
      ['/a/b/c', 'Nothing lives at /a/b/c']
    ] as Array<[string, string]>)) {
      const res = await get(url)
      t.equal(res.statusCode, 404, url)
      t.match(res.body, text, url)
      t.match(res.body, '<form class="filters" action="/" method="get" role="search"', `${url} offers search`)
      t.equal(res.headers.etag, undefined, `${url} is not cached`)
    }
  })

  t.test('filters combine and return exactly the matching advisories', async (t) => {
    const cases: Array<[string, string, unknown[]]> = [
      ['severity=important', "WHERE severity = 'important'", []],
      ['severity=important&severity=critical', "WHERE severity IN ('important', 'critical')", []],
      ['severity=critical,low', "WHERE severity IN ('critical', 'low')", []],
      ['severity=none&type=bugfix', "WHERE severity IS NULL AND type = 'bugfix'", []],
      ['product=rocky8&severity=important', "WHERE product_id = 'rocky8' AND severity = 'important'", []],
      ['type=security&type=enhancement', "WHERE type IN ('security', 'enhancement')", []],
      ['package=kernel', "WHERE pk IN (SELECT advisory_pk FROM advisory_package WHERE name = 'kernel' OR src_name = 'kernel')", []],
      ['package=openssl', "WHERE pk IN (SELECT advisory_pk FROM advisory_package WHERE name = 'openssl' OR src_name = 'openssl')", []],
      ['cve=cve-2017-5715', "WHERE pk IN (SELECT advisory_pk FROM advisory_cve WHERE cve = 'CVE-2017-5715')", []],
      ['issued_after=2021-01-01&issued_before=2021-12-31', "WHERE issued >= '2021-01-01' AND issued < '2022-01-01'", []],
      ['issued_after=2021-07-22&issued_before=2021-07-22', "WHERE substr(issued, 1, 10) = '2021-07-22'", []],
      ['withdrawn=yes', 'WHERE withdrawn = 1', []]
    ]
    for (const [query, where] of cases) {
      const res = await get(`/?${query}&per_page=200`)
      t.equal(res.statusCode, 200, query)
      t.same(listedIds(res.body).sort(), sqlIds(dbPath, where), query)
    }
    t.ok(sqlIds(dbPath, "WHERE severity = 'important'").length > 1, 'the severity case is not trivial')
    const product = await get('/rocky8?severity=important')
    t.same(listedIds(product.body).sort(), sqlIds(dbPath, "WHERE product_id = 'rocky8' AND severity = 'important'"))
    t.match(product.body, '<h1>Rocky Linux 8 advisories</h1>')
  })

  t.test('full-text search over id, title, description, packages and CVEs; any text is safe', async (t) => {
    const search = async (q: string): Promise<string[]> => {
      const res = await get(`/?q=${encodeURIComponent(q)}&per_page=200`)
      t.equal(res.statusCode, 200, `q=${q}`)
      return listedIds(res.body).sort()
    }
    t.same(await search('RLSA-2021:3057'), ['RLSA-2021:3057'], 'by id')
    t.same(await search('CVE-2017-5715'), sqlIds(dbPath, "WHERE pk IN (SELECT advisory_pk FROM advisory_cve WHERE cve = 'CVE-2017-5715')"), 'by CVE')
    t.same(await search('firewalld'), ['RLBA-2021:2580'], 'by package name')
    t.same(await search('speculative execution'), sqlIds(dbPath, "WHERE description LIKE '%speculative execution%'"), 'by description words')
    t.same(await search('firewa'), ['RLBA-2021:2580'], 'prefix')
    t.same(await search('firewalld kernel'), [], 'all words must match')
    for (const junk of ['"', '"kernel OR (', 'NEAR(a b)', '*', 'a AND OR NOT', '\'; DROP TABLE advisory; --', '^kernel', 'col:kernel', '{ident}: x', '💥']) {
      await search(junk)
    }
    t.equal(readRows<{ n: number }>(dbPath, 'SELECT count(*) AS n FROM advisory')[0]!.n, 32)
  })

  t.test('sorting and paging are stable and shareable', async (t) => {
    const all = listedIds((await get('/?per_page=200')).body)
    t.equal(all.length, 32)
    const pages: string[] = []
    for (let page = 1; page <= 4; page++) {
      const res = await get(`/?per_page=10&page=${page}`)
      pages.push(...listedIds(res.body))
      if (page < 4) t.match(res.body, `rel="next" href="/?per_page=10&amp;page=${page + 1}"`)
    }
    t.same(pages, all, 'pages concatenate to the whole list, in order')
    const issued = readRows<{ id: string }>(dbPath, "SELECT id FROM advisory ORDER BY coalesce(issued, '') DESC, id DESC, product_id DESC").map((r) => r.id)
    t.same(all, issued, 'newest first by default')
    const byId = listedIds((await get('/?sort=id&per_page=200')).body)
    t.same(byId, readRows<{ id: string }>(dbPath, 'SELECT id FROM advisory ORDER BY id, product_id').map((r) => r.id), 'by id, ascending')
    const bySeverity = (await get('/?sort=severity&per_page=200')).body
    t.match(bySeverity.slice(bySeverity.indexOf('<tbody>')), /^<tbody>\s*<tr>\s*<th scope="row"><a href="[^"]*">[^<]*<\/a>[\s\S]*?sev-critical/, 'most severe first')
    const empty = await get('/?page=99')
    t.equal(empty.statusCode, 200)
    t.match(empty.body, 'Page 99 is past the end: 32 advisories match, on 1 pages of 50.')
  })

  t.test('bad filter values give 400 naming the parameter', async (t) => {
    for (const [query, text] of ([
      ['severity=bogus', 'severity: unknown severity &quot;bogus&quot;'],
      ['product=nope', 'product: unknown product &quot;nope&quot;'],
      ['type=nope', 'type: unknown type'],
      ['cve=12345', 'cve: &quot;12345&quot; is not a CVE id'],
      ['page=NaN', 'page: &quot;NaN&quot; must be a whole number'],
      ['page=-1', 'page: &quot;-1&quot; must be a whole number'],
      ['per_page=1000000000', 'per_page: &quot;1000000000&quot; must be a whole number from 1 to 200'],
      ['issued_after=9999-99-99', 'issued_after: &quot;9999-99-99&quot; is not a real date'],
      ['issued_before=yesterday', 'issued_before: &quot;yesterday&quot; must be a date'],
      ['sort=random', 'sort: use one of'],
      ['withdrawn=maybe', 'withdrawn: use yes, no or any'],
      [`q=${'x'.repeat(300)}`, 'q: longer than 200 characters'],
      ['package=a&package=b', 'package: give it once']
    ] as Array<[string, string]>)) {
      const res = await get(`/?${query}`)
      t.equal(res.statusCode, 400, query)
      t.match(res.body, text, query)
    }
  })

  t.test('CVE and package pages list every fixing advisory with its fixed packages', async (t) => {
    const cve = await get('/cve/CVE-2017-5715')
    t.equal(cve.statusCode, 200)
    t.same(listedIds(cve.body).sort(), sqlIds(dbPath, "WHERE pk IN (SELECT advisory_pk FROM advisory_cve WHERE cve = 'CVE-2017-5715')"))
    t.match(cve.body, '<code>kernel-4.9.76-38.79.amzn2.x86_64</code>')
    t.equal((await get('/cve/cve-2017-5715')).headers.location, '/cve/CVE-2017-5715')
    const pkg = await get('/packages/openssl')
    t.equal(pkg.statusCode, 200)
    t.same(listedIds(pkg.body), ['HOST-2024:0001'])
    t.match(pkg.body, '<code>openssl-1:3.0.8-1.h1.x86_64</code>')
    t.match(pkg.body, '<code>openssl-libs-1:3.0.8-1.h1.aarch64</code>', 'binary packages built from the source package')
    const kernel = listedIds((await get('/packages/kernel')).body)
    t.same(kernel, readRows<{ id: string }>(dbPath, `SELECT id FROM advisory WHERE pk IN (SELECT advisory_pk FROM advisory_package
      WHERE name = 'kernel' OR src_name = 'kernel') ORDER BY issued DESC`).map((r) => r.id), 'newest first')
  })

  t.test('the products page shows each repo and a failed last ingest at a glance', async (t) => {
    let html = (await get('/products')).body
    t.match(html, "Every repository's last ingest succeeded.")
    t.equal(html.match(/<tr class="">/g)?.length, 9)
    const etag = (await get('/products')).headers.etag as string
    writeRepo(hostileRoot, '<updates><update') // broken upstream
    const broken = await runIngest({ dbPath, repos: repos.slice(-1) })
    t.equal(broken.repos[0]?.status, 'failed')
    const res = await get('/products', { 'if-none-match': etag })
    t.equal(res.statusCode, 200, 'the failed run changes the page')
    html = res.body
    t.match(html, '1 repository failed the last ingest.')
    t.match(html, /<tr class="failed">\s*<th scope="row">hostile[\s\S]*?Failed<\/span><div class="error">[^<]*XML/)
    t.equal(listedIds((await get('/hostile')).body).length, 3, 'the advisories read before are still served')
  })

  t.test('security headers, no inline script or style, compression', async (t) => {
    for (const url of ['/', '/amzn2/ALAS2-2018-939', '/cve/CVE-2017-5715', '/packages/kernel', '/products', '/nope']) {
      const res = await get(url, { 'accept-encoding': 'identity' })
      t.match(res.headers['content-security-policy'], /default-src 'none'/, url)
      t.notMatch(res.headers['content-security-policy'], /unsafe-inline/, url)
      t.equal(res.headers['x-content-type-options'], 'nosniff', url)
      t.notMatch(res.body, /<script|<style|\sstyle=|\son[a-z]+=/i, `${url}: nothing inline`)
    }
    const gz = await get('/', { 'accept-encoding': 'gzip' })
    t.equal(gz.headers['content-encoding'], 'gzip')
    const br = await get('/', { 'accept-encoding': 'br' })
    t.equal(br.headers['content-encoding'], 'br')
  })

  t.test('ETag from the body, Last-Modified from the data; 304 until an ingest changes the page', async (t) => {
    const first = await get('/amzn2/ALAS2-2018-939')
    const etag = first.headers.etag as string
    const lastModified = first.headers['last-modified'] as string
    t.equal(etag, `"${createHash('md5').update(first.rawPayload).digest('hex')}"`, 'the MD5 of the bytes')
    t.equal(new Date(lastModified).toISOString().slice(0, 19) + 'Z', readRows<{ value: string }>(dbPath, "SELECT value FROM meta WHERE key = 'data_changed_at'")[0]!.value)
    t.equal((await get('/amzn2/ALAS2-2018-939', { 'if-none-match': etag })).statusCode, 304)
    t.equal((await get('/amzn2/ALAS2-2018-939', { 'if-modified-since': lastModified })).statusCode, 304)
    t.equal((await get('/amzn2/ALAS2-2018-939', { 'if-none-match': '"other"' })).statusCode, 200)
    const home = await get('/')
    t.equal((await get('/', { 'if-none-match': etag })).statusCode, 200, 'another page: another body, another ETag')
    t.equal((await get('/', { 'if-none-match': home.headers.etag as string })).statusCode, 304)

    writeRepo(hostileRoot, hostileXml('<update type="security"><id>HOST-2024:0002</id><title>new one</title><issued date="2030-01-01"/><severity>Low</severity></update>'))
    const run = await runIngest({ dbPath, repos: repos.slice(-1) })
    t.equal(run.repos[0]?.added, 1)
    const after = await get('/', { 'if-none-match': home.headers.etag as string })
    t.equal(after.statusCode, 200, 'a new ETag after the ingest')
    t.not(after.headers.etag, home.headers.etag)
    t.equal(listedIds(after.body)[0], 'HOST-2024:0002', 'the cached list is not served stale')
    t.equal((await get('/amzn2/ALAS2-2018-939', { 'if-none-match': etag })).statusCode, 304, 'a page the ingest did not change keeps its ETag')
  })

  t.test('a server error shows a page that leaks nothing', async (t) => {
    const writer = new Database(dbPath)
    writer.exec('DROP TABLE advisory_fts')
    writer.close()
    const res = await get('/?q=kernel')
    t.equal(res.statusCode, 500)
    t.match(res.body, '<h1>Something went wrong</h1>')
    t.notMatch(res.body, /advisory_fts|SqliteError|at .*\.ts|node_modules/)
  })
})
