// Further pages of every list have a path-only URL (`/page/2`, `/<product>/page/2`, `/cve/<CVE>/page/2`,
// `/packages/<name>/page/2`): a static copy of the portal answers no query strings. The pages link to
// that form when the page number is their only parameter, answer it with the bytes of the `?page=` form,
// and send `/.../page/1` to the list itself.
import Parser from 'rss-parser'
import t from 'tap'
import { join } from 'node:path'
import { writeRepo } from './helpers/repo-builder.js'
import { ingestOk, testApp, testDb } from './helpers/test-app.js'

// 120 advisories that all fix one package and one CVE: three list pages of 50, two CVE and package pages of 100.
function labXml (): string {
  let xml = '<?xml version="1.0" encoding="UTF-8"?>\n<updates>\n'
  for (let i = 1; i <= 120; i++) {
    const n = String(i).padStart(4, '0')
    xml += `<update from="lab@example.org" status="final" type="security" version="1"><id>LAB-2024-${n}</id><title>labpkg fix ${n}</title>
<issued date="2024-01-01 00:00:00"/><updated date="2024-02-${String(1 + (i % 28)).padStart(2, '0')} 00:00:00"/><severity>${i % 3 === 0 ? 'Critical' : 'Low'}</severity>
<references><reference type="cve" id="CVE-2024-0001" href="https://www.cve.org/CVERecord?id=CVE-2024-0001" title="CVE-2024-0001"/></references>
<description>Fix ${n}.</description><pkglist><collection short="lab"><name>lab</name>
<package name="labpkg" epoch="0" version="1.${i}" release="1.lab" arch="x86_64" src="labpkg-1.${i}-1.lab.src.rpm"><filename>labpkg-1.${i}-1.lab.x86_64.rpm</filename></package>
</collection></pkglist></update>\n`
  }
  return `${xml}</updates>\n`
}

t.test('path-only list pages', async (t) => {
  const { dir, dbPath } = testDb(t)
  const root = join(dir, 'lab')
  writeRepo(root, labXml())
  await ingestOk(t, dbPath, [{ productId: 'lab', productName: 'Lab Linux', url: root, kind: 'baseurl', baseurls: [root], name: 'lab', allowedHosts: [] }])
  const app = await testApp(t, { dbPath })
  const get = async (url: string): Promise<{ status: number, body: string, location: unknown }> => {
    const res = await app.inject({ url })
    return { status: res.statusCode, body: res.body, location: res.headers.location }
  }
  const hrefs = (html: string): string[] => [...html.matchAll(/<nav class="pagination"[\s\S]*?<\/nav>/g)].flatMap((m) => [...m[0].matchAll(/href="([^"]+)"/g)].map((h) => h[1]!.replace(/&amp;/g, '&')))

  for (const [list, pages, query] of [['/', 3, ''], ['/lab', 3, ''], ['/cve/CVE-2024-0001', 2, ''], ['/packages/labpkg', 2, '']] as const) {
    const first = await get(list)
    t.equal(first.status, 200, `${list}: 200`)
    const prefix = list === '/' ? '' : list
    t.same([...new Set(hrefs(first.body))].sort(), Array.from({ length: pages }, (_, i) => i === 0 ? list : `${prefix}/page/${i + 1}`).sort(), `${list}: page links are path-only`)
    const byPath = await get(`${prefix}/page/2${query}`)
    const byQuery = await get(`${list}?page=2`)
    t.equal(byPath.status, 200, `${prefix}/page/2: 200`)
    t.equal(byPath.body, byQuery.body, `${prefix}/page/2 and ${list}?page=2 are the same bytes`)
    t.match(byPath.body, list === '/' || list === '/lab' ? /LAB-2024-00(70|71)/ : /LAB-2024-00(19|20)/, `${prefix}/page/2 shows the second page`)
    t.same(await get(`${prefix}/page/1`), { status: 301, body: '', location: list }, `${prefix}/page/1 goes to ${list}`)
  }

  const sitemap = (await Promise.all(['pages', 'cves', 'packages'].map(async (kind) => (await get(`/sitemaps/${kind}-1.xml`)).body))).join('')
  for (const path of ['/page/2', '/page/3', '/lab/page/2', '/lab/page/3', '/cve/CVE-2024-0001/page/2', '/packages/labpkg/page/2']) {
    t.match(sitemap, `<loc>http://localhost${path}</loc>`, `the sitemap lists ${path}`)
  }
  t.notMatch(sitemap, /\/page\/4<|\/lab\/page\/4<|\/labpkg\/page\/3</, 'and no page past the last')

  const filtered = await get('/lab?severity=critical&per_page=10')
  t.ok(hrefs(filtered.body).includes('/lab?severity=critical&per_page=10&page=2'), 'with filters, the page number stays in the query string')
  t.equal((await get('/nope/page/2')).status, 404, 'an unknown product has no pages')
  t.equal((await get('/lab/page/two')).status, 400, 'a page number is digits')
  const past = await get('/lab/page/999')
  t.same(past, await get('/lab?page=999'), 'past the last page: as ?page= answers it')
})

t.test('severity feeds have a path: /feeds/severity/<severity>.<format>', async (t) => {
  const { dir, dbPath } = testDb(t)
  const root = join(dir, 'lab')
  writeRepo(root, labXml())
  await ingestOk(t, dbPath, [{ productId: 'lab', productName: 'Lab Linux', url: root, kind: 'baseurl', baseurls: [root], name: 'lab', allowedHosts: [] }])
  const app = await testApp(t, { dbPath })
  const parser = new Parser()
  const links = async (url: string): Promise<string[]> => {
    const res = await app.inject({ url })
    t.equal(res.statusCode, 200, `${url}: 200`)
    return (await parser.parseString(res.body)).items.map((i) => i.link ?? '')
  }
  const critical = await links('/feeds/severity/critical.rss')
  t.equal(critical.length, 40, 'every third of 120 advisories is critical')
  t.same(critical, await links('/feeds/advisories.rss?severity=critical'), 'the same items as ?severity=critical')
  t.same(await links('/feeds/severity/none.rss'), [], 'none: advisories without a severity (there are none here)')
  const feedsPage = await app.inject({ url: '/feeds' })
  for (const s of ['critical', 'low', 'none']) t.match(feedsPage.body, `href="/feeds/severity/${s}.rss"`, `/feeds links the ${s} feed`)
  t.equal((await app.inject({ url: '/feeds/severity/moderate.rss' })).statusCode, 404, 'a severity the data does not use has no feed')
  const twice = await app.inject({ url: '/feeds/severity/critical.rss?severity=low' })
  t.equal(twice.statusCode, 400, 'the severity is in the path already')
  t.match(twice.body, /severity: this feed's URL already sets it/)
})
