// The statistics (/stats, /api/v1/stats, /api/v1/stats.csv) and the home page's "what happened lately", over the
// demo products and a lab repo with one withdrawn advisory, checked against counts made here straight from the
// updateinfo XML (fast-xml-parser), never from the database the server reads.
import t, { type Test } from 'tap'
import { XMLParser } from 'fast-xml-parser'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { RepoSpec } from '../ingest/config.js'
import { readRows } from './helpers/db.js'
import { projectDir } from './helpers/paths.js'
import { writeRepo } from './helpers/repo-builder.js'
import { demoRepos, ingestOk, testApp, testDb } from './helpers/test-app.js'

// The updateinfo files each demo product is built from (ingest/demo/build.ts).
const demoFixtures: Record<string, string[]> = {
  amzn2: ['vuln-list-update__amazon_updateinfo_1_item.xml', 'vuln-list-update__amazon_updateinfo_2_items.xml'],
  al2023: ['vuln-list-update__amazon_updateinfo_AL2022.xml', 'vuln-list-update__amazon_updateinfo_AL2023.xml'],
  rocky8: ['vuln-list-update__rocky_happy_updateinfo.xml'],
  alma9: ['vuls-data-update__alma_updateinfo_happy_almalinux_9_BaseOS_updateinfo.xml', 'vuls-data-update__alma_updateinfo_happy_almalinux_9_AppStream_updateinfo.xml'],
  opensuse11: ['libzypp__opensuse-11.0_Delta_updateinfo.xml'],
  fedora43: ['vuls-data-update__fedora_updateinfo_happy_fedora_linux_updates_43_Everything_x86_64_updateinfo.xml'],
  bottlerocket: ['vuln-list-update__bottlerocket_updateinfo.xml']
}

// The lab product: months with repeated CVEs, `high`, no severity, no date, the edges of the 7- and 30-day windows,
// and LAB-4, newer than all, that the second ingest withdraws (so the newest active advisory is LAB-3, 2026-05-10).
const lab = (id: string, issued: string | null, severity: string | null, cves: string[]): string => `<update status="final" type="security" version="1">
  <id>${id}</id><title>lab ${id}</title>${issued === null ? '' : `<issued date="${issued}"/>`}${severity === null ? '' : `<severity>${severity}</severity>`}
  <references>${cves.map((c) => `<reference href="https://www.cve.org/CVERecord?id=${c}" id="${c}" type="cve"/>`).join('')}</references>
  <pkglist><collection short="lab"><package name="lab-${id.toLowerCase()}" version="1" release="1" arch="x86_64"/></collection></pkglist>
</update>`
const labUpdates = [
  lab('LAB-1', '2026-04-02 10:00:00', 'Critical', ['CVE-2026-0001', 'CVE-2026-0002']),
  lab('LAB-2', '2026-04-20 10:00:00', 'Important', ['CVE-2026-0002']),
  lab('LAB-3', '2026-05-10 08:00:00', 'High', ['CVE-2026-0001']),
  lab('LAB-5', null, 'Critical', ['CVE-2026-0005']),
  lab('LAB-6', '2026-03-30 12:00:00', 'Moderate', []),
  lab('LAB-7', '2026-05-04 00:00:00', null, ['CVE-2026-0007']),
  lab('LAB-8', '2026-05-03 23:59:59', 'Low', []),
  lab('LAB-9', '2026-04-10 23:59:59', 'Critical', []),
  lab('LAB-10', '2026-04-11 00:00:00', 'Important', []),
  lab('LAB-11', '2025-06-30 23:59:59', 'Low', ['CVE-2025-0011'])
]
const labWithdrawn = lab('LAB-4', '2026-05-12 09:00:00', 'Critical', ['CVE-2026-0004'])
const labXml = (updates: string[]): string => `<?xml version="1.0" encoding="UTF-8"?>\n<updates>\n${updates.join('\n')}\n</updates>\n`

// ---- The independent count: from the XML alone ----

interface Update { id: string, issued: string | null, severity: string, cves: string[] }

const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@', isArray: (name) => ['update', 'reference'].includes(name) })

/** The updates of a file as yum lists them: issued as ISO UTC (epoch seconds or "YYYY-MM-DD[ HH:MM[:SS]]"), severity lower-cased. */
function updatesIn (xml: string): Update[] {
  const doc = parser.parse(xml) as { updates: { update?: Array<Record<string, any>> } }
  return (doc.updates.update ?? []).map((u) => {
    const raw = String(u.issued?.['@date'] ?? '')
    const issued = /^\d+$/.test(raw) ? new Date(Number(raw) * 1000).toISOString() : /^\d{4}-\d{2}-\d{2}/.test(raw) ? `${raw.slice(0, 10)}T${(raw.slice(11) || '00:00:00').padEnd(8, ':00')}Z` : null
    const severity = String(u.severity ?? '').trim().toLowerCase()
    const texts = [String(u.title ?? ''), ...(u.references?.reference ?? []).flatMap((r: Record<string, string>) => [r['@id'] ?? '', r['@title'] ?? '', r['@href'] ?? ''])]
    const cves = [...new Set(texts.flatMap((text: string) => (text.match(/CVE-\d{4}-\d{4,}/gi) ?? []).map((c) => c.toUpperCase())))]
    return { id: String(u.id), issued, severity: severity === '' || severity === 'none' ? 'none' : severity, cves }
  })
}

/** Product -> its active, dated updates (an id listed by two repos of a product once). */
function expectedUpdates (): Map<string, Update[]> {
  const products = new Map<string, Update[]>()
  for (const [product, files] of Object.entries(demoFixtures)) {
    const byId = new Map<string, Update>()
    for (const f of files) for (const u of updatesIn(readFileSync(join(projectDir, 'test', 'fixtures', 'updateinfo', f), 'utf8'))) byId.set(u.id, u)
    products.set(product, [...byId.values()])
  }
  products.set('lab', updatesIn(labXml(labUpdates)))
  for (const [product, updates] of products) products.set(product, updates.filter((u) => u.issued !== null))
  return products
}

interface Cell { cves: Set<string>, advisories: number, bySeverity: Map<string, number> }

function cellOf (updates: Update[]): Cell {
  const cell: Cell = { cves: new Set(), advisories: 0, bySeverity: new Map() }
  for (const u of updates) {
    cell.advisories++
    cell.bySeverity.set(u.severity, (cell.bySeverity.get(u.severity) ?? 0) + 1)
    for (const c of u.cves) cell.cves.add(c)
  }
  return cell
}

const inMonth = (updates: Update[], month: string): Update[] => updates.filter((u) => u.issued!.startsWith(month))
const inMonths = (updates: Update[], from: string, to: string): Update[] => updates.filter((u) => u.issued!.slice(0, 7) >= from && u.issued!.slice(0, 7) <= to)
const inDays = (updates: Update[], from: string, to: string): Update[] => updates.filter((u) => u.issued!.slice(0, 10) >= from && u.issued!.slice(0, 10) <= to)
const urgent = (updates: Update[]): number => updates.filter((u) => ['critical', 'important', 'high'].includes(u.severity)).length

function monthsFrom (from: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => {
    const n = Number(from.slice(0, 4)) * 12 + Number(from.slice(5, 7)) - 1 + i
    return `${Math.floor(n / 12)}-${String(n % 12 + 1).padStart(2, '0')}`
  })
}

interface StatsJson {
  from: string
  to: string
  months: string[]
  newest_issued: string | null
  severities: string[]
  products: Array<{ id: string, name: string, cves: number, advisories: number, by_severity: Record<string, number>, months: Array<{ month: string, cves: number, advisories: number, by_severity: Record<string, number> }> }>
}

const decode = (s: string): string => s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&')
const cellsOf = (row: string): string[] => [...row.matchAll(/<t[hd][^>]*>([\s\S]*?)<\/t[hd]>/g)].map((m) => decode(m[1]!.replace(/<[^>]+>/g, '').trim()))
/** The rows of the first table after `marker` in the page, each as its cells' text. */
function tableAfter (html: string, marker: string): string[][] {
  const start = html.indexOf(marker)
  if (start === -1) return []
  const table = html.slice(start, html.indexOf('</table>', start))
  return [...table.matchAll(/<tr[^>]*>([\s\S]*?)<\/tr>/g)].map((m) => cellsOf(m[1]!))
}

/** Every product and month of the answer against the count from the XML. */
function checkJson (tt: Test, expected: Map<string, Update[]>, body: StatsJson, months: string[]): void {
  const products = [...expected.keys()].sort()
  tt.same(body.months, months, 'every month of the range, in order')
  tt.same(body.products.map((p) => p.id), products, 'every product, by id')
  tt.same(body.severities, ['critical', 'important', 'high', 'moderate', 'medium', 'low', 'none'], 'the data\'s severities, most urgent first, then none')
  for (const p of body.products) {
    const updates = expected.get(p.id)!
    const actual = p.months.map((m) => ({ month: m.month, cves: m.cves, advisories: m.advisories, sev: Object.entries(m.by_severity).filter(([, n]) => n > 0) }))
    const wanted = months.map((month) => {
      const cell = cellOf(inMonth(updates, month))
      return { month, cves: cell.cves.size, advisories: cell.advisories, sev: body.severities.flatMap((s) => cell.bySeverity.has(s) ? [[s, cell.bySeverity.get(s)!]] : []) }
    })
    tt.same(actual, wanted, `${p.id}: every month`)
    const range = cellOf(inMonths(updates, months[0]!, months.at(-1)!))
    tt.same([p.cves, p.advisories], [range.cves.size, range.advisories], `${p.id}: the range's distinct CVEs and advisories`)
  }
}

t.test('statistics over the demo products and a lab repo', async (t) => {
  const { dir, dbPath } = testDb(t)
  const labRoot = join(dir, 'lab')
  const labRepo: RepoSpec = { productId: 'lab', productName: 'Lab & Co Linux', url: labRoot, kind: 'baseurl', baseurls: [labRoot], name: 'lab', allowedHosts: [] }
  writeRepo(labRoot, labXml([...labUpdates, labWithdrawn]))
  await ingestOk(t, dbPath, [...demoRepos(Object.keys(demoFixtures)), labRepo])
  writeRepo(labRoot, labXml(labUpdates))
  await ingestOk(t, dbPath, [labRepo])
  t.same(readRows(dbPath, "SELECT id, withdrawn FROM advisory WHERE id = 'LAB-4'"), [{ id: 'LAB-4', withdrawn: 1 }], 'LAB-4 is withdrawn by the second ingest')

  const app = await testApp(t, { dbPath })
  const get = async (url: string, headers: Record<string, string> = {}): Promise<Awaited<ReturnType<typeof app.inject>>> => await app.inject({ url, headers })
  const expected = expectedUpdates()
  const products = [...expected.keys()].sort()
  const defaultMonths = monthsFrom('2025-06', 12)

  t.test('the JSON: the default range ends with the newest active advisory\'s month', async (t) => {
    const res = await get('/api/v1/stats')
    t.equal(res.statusCode, 200)
    t.equal(res.headers['content-type'], 'application/json; charset=utf-8')
    const body = res.json<StatsJson>()
    t.equal(body.newest_issued, '2026-05-10T08:00:00Z', 'LAB-3: the withdrawn LAB-4 (2026-05-12) does not count')
    t.same([body.from, body.to], ['2025-06', '2026-05'])
    checkJson(t, expected, body, defaultMonths)
    const labStats = body.products.find((p) => p.id === 'lab')!
    // Spelled out: CVE-2026-0002 twice in April counts once; CVE-2026-0001 in April and May counts in each month, once in the range.
    t.same(labStats.months.filter((m) => m.cves > 0).map((m) => [m.month, m.cves]), [['2025-06', 1], ['2026-04', 2], ['2026-05', 2]])
    t.equal(labStats.cves, 4, 'CVE-2025-0011, -0001, -0002, -0007: the range counts each once')
    t.same(labStats.months.find((m) => m.month === '2026-05')!.by_severity, { critical: 0, important: 0, high: 1, moderate: 0, medium: 0, low: 1, none: 1 }, 'May: LAB-3 high, LAB-8 low, LAB-7 none; LAB-4 withdrawn')
    t.equal(labStats.months.find((m) => m.month === '2025-06')!.advisories, 1, 'LAB-11 at 23:59:59 on 30 June is June\'s')
    const bottlerocket = body.products.find((p) => p.id === 'bottlerocket')!
    t.same([bottlerocket.cves, bottlerocket.advisories], [2, 2])
  })

  t.test('the JSON over an explicit range and its one-sided forms', async (t) => {
    const body = (await get('/api/v1/stats?from=2018-01&to=2018-02')).json<StatsJson>()
    checkJson(t, expected, body, ['2018-01', '2018-02'])
    const amzn2 = body.products.find((p) => p.id === 'amzn2')!
    t.same(amzn2.months.map((m) => [m.month, m.cves, m.advisories, m.by_severity.critical, m.by_severity.important]), [['2018-01', 2, 1, 1, 0], ['2018-02', 16, 2, 0, 2]])
    checkJson(t, expected, (await get('/api/v1/stats?from=2008-04')).json<StatsJson>(), monthsFrom('2008-04', 12))
    checkJson(t, expected, (await get('/api/v1/stats?to=2021-08')).json<StatsJson>(), monthsFrom('2020-09', 12))
    checkJson(t, expected, (await get('/api/v1/stats?from=2007-01&to=2026-12')).json<StatsJson>(), monthsFrom('2007-01', 240))
    // A separate straightforward SQL count agrees on everything dated, active and in the data.
    const sql = readRows<{ n: number }>(dbPath, "SELECT count(*) AS n FROM advisory WHERE withdrawn = 0 AND issued IS NOT NULL AND issued >= '2007-01' AND issued < '2027'")[0]!.n
    const all = (await get('/api/v1/stats?from=2007-01&to=2026-12')).json<StatsJson>()
    t.equal(all.products.reduce((n, p) => n + p.advisories, 0), sql, `${sql} advisories in twenty years, as SQL counts them`)
  })

  t.test('the CSV: a row per product and month, the same numbers', async (t) => {
    const res = await get('/api/v1/stats.csv?from=2026-03&to=2026-05')
    t.equal(res.statusCode, 200)
    t.equal(res.headers['content-type'], 'text/csv; charset=utf-8')
    const lines = res.body.split('\r\n')
    t.equal(lines.pop(), '', 'CRLF after the last line')
    t.equal(lines[0], 'product,product_name,month,cves,advisories,critical,important,high,moderate,medium,low,none')
    t.equal(lines.length, 1 + products.length * 3, 'a line per product and month')
    t.ok(lines.includes('lab,Lab & Co Linux,2026-04,2,4,2,2,0,0,0,0,0'), 'April: LAB-1, LAB-2, LAB-9, LAB-10')
    for (const line of lines.slice(1)) {
      const [product, , month, cves, advisories, ...severities] = line.split(',')
      const cell = cellOf(inMonth(expected.get(product!)!, month!))
      const columns = ['critical', 'important', 'high', 'moderate', 'medium', 'low', 'none']
      t.same([Number(cves), Number(advisories), ...severities.map(Number)], [cell.cves.size, cell.advisories, ...columns.map((s) => cell.bySeverity.get(s) ?? 0)], `${product} ${month}`)
    }
    t.equal((await get('/api/v1/stats.csv')).body.split('\r\n').length - 2, products.length * 12, 'the default range: 12 months')
  })

  t.test('the page: range, the CVE table and the severity tables, from the same counts', async (t) => {
    const res = await get('/stats')
    t.equal(res.statusCode, 200)
    const html = res.body
    t.match(html, 'Showing <strong>Jun 2025 to May 2026</strong>: the 12 months to the newest advisory, issued <time datetime="2026-05-10">2026-05-10</time>.')
    t.match(html, '<a href="/stats" aria-current="page">Statistics</a>', 'the navigation marks the page')
    const names = new Map(readRows<{ id: string, name: string }>(dbPath, 'SELECT id, name FROM product').map((p) => [p.id, p.name]))
    const rows = tableAfter(html, '<table class="stats stats-cves">')
    t.same(rows[0], ['Month', ...products.map((p) => names.get(p)!)])
    const label = (month: string): string => `${['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'][Number(month.slice(5)) - 1]!} ${month.slice(0, 4)}`
    t.same(rows.slice(1, -1), defaultMonths.map((m) => [label(m), ...products.map((p) => String(cellOf(inMonth(expected.get(p)!, m)).cves.size))]), 'a row per month, a column per product')
    t.same(rows.at(-1), ['All 12 months', ...products.map((p) => String(cellOf(inMonths(expected.get(p)!, '2025-06', '2026-05')).cves.size))], 'the range\'s distinct CVEs')
    const severity = tableAfter(html, '<table class="stats stats-severity">')
    t.same(severity[0], ['Product', 'Advisories', 'Critical', 'Important', 'High', 'Moderate', 'Medium', 'Low', 'None', 'CVEs'])
    t.same(severity.slice(1), products.map((p) => {
      const cell = cellOf(inMonths(expected.get(p)!, '2025-06', '2026-05'))
      return [names.get(p)!, String(cell.advisories), ...['critical', 'important', 'high', 'moderate', 'medium', 'low', 'none'].map((s) => String(cell.bySeverity.get(s) ?? 0)), String(cell.cves.size)]
    }), 'a row per product over the range')
    t.match(html, /<title id="cve-chart-title">Distinct CVEs fixed per month by product, Jun 2025 to May 2026<\/title>/, 'the chart has a title')
    t.match(html, /<svg class="chart chart-lines" viewBox="0 0 640 260" role="img" aria-labelledby="cve-chart-title cve-chart-desc">/)
    t.match(html, '<desc id="cve-chart-desc">One line per product: Bottlerocket, 2 CVEs in the range; Lab &amp; Co Linux, 4 CVEs in the range. The table below gives every number.</desc>')
    t.equal(html.match(/<g class="series /g)?.length, 2, 'a line for each product that fixed a CVE')
    t.match(html, 'No CVE fixed in these months: Amazon Linux 2023, AlmaLinux 9, Amazon Linux 2, Fedora 43, openSUSE 11.0, Rocky Linux 8.')
    t.notMatch(html, /<script|<style|\sstyle=/i, 'nothing inline: the CSP holds')
    const months = tableAfter(html, '<details class="product-months" id="months-lab">')
    t.same(months.find((r) => r[0] === 'Apr 2026'), ['Apr 2026', '4', '2', '2', '0', '0', '0', '0', '0', '2'])
    t.match(html, '<a href="/api/v1/stats" type="application/json">JSON</a> · <a href="/api/v1/stats.csv" type="text/csv">CSV</a>')
    t.match(html, '<a href="/stats?from=2024-06&amp;to=2025-05" rel="prev">Earlier 12 months</a>')
    t.notMatch(html, 'rel="next"', 'nothing later than the newest advisory\'s month')

    const explicit = (await get('/stats?from=2018-01&to=2018-02')).body
    t.match(explicit, 'Showing <strong>Jan 2018 to Feb 2018</strong>.')
    const amzn2 = expected.get('amzn2')!
    t.same(tableAfter(explicit, '<table class="stats stats-cves">').slice(1).map((r) => r[products.indexOf('amzn2') + 1]),
      [inMonth(amzn2, '2018-01'), inMonth(amzn2, '2018-02'), inMonths(amzn2, '2018-01', '2018-02')].map((u) => String(cellOf(u).cves.size)), 'amzn2: each month, then distinct over both')
    t.match(explicit, '<a href="/api/v1/stats?from=2018-01&amp;to=2018-02" type="application/json">JSON</a>')
    t.match(explicit, 'rel="next">Later 2 months</a>')
  })

  t.test('range parameters: bad values are a 400 naming the parameter, on the page and in the API', async (t) => {
    const cases: Array<[string, string]> = [
      ['from=2024-13', 'from: "2024-13" is not a month; use YYYY-MM, for example 2024-01'],
      ['to=May', 'to: "May" is not a month; use YYYY-MM, for example 2024-01'],
      ['from=2024-1', 'from: "2024-1" is not a month; use YYYY-MM, for example 2024-01'],
      ['from=2025-01&to=2024-12', 'from: 2025-01 is after to (2024-12)'],
      ['from=2000-01&to=2024-12', 'to: 2000-01 to 2024-12 is 300 months; a range is at most 240 months']
    ]
    for (const [query, message] of cases) {
      for (const path of ['/api/v1/stats', '/api/v1/stats.csv']) {
        const res = await get(`${path}?${query}`)
        t.equal(res.statusCode, 400, `${path}?${query}`)
        t.same(res.json(), { error: 'Bad Request', message }, `${path}?${query}`)
      }
      const page = await get(`/stats?${query}`)
      t.equal(page.statusCode, 400, `/stats?${query}`)
      t.match(page.body, `<p class="lead">${message.replace(/"/g, '&quot;')}</p>`, `/stats?${query}`)
    }
    t.same((await get('/api/v1/stats?month=2024-01')).json(), { error: 'Bad Request', message: 'month: unknown parameter "month"; /openapi.json lists the parameters of every endpoint' })
    t.equal((await get('/stats?utm_source=x')).statusCode, 200, 'the page ignores what it does not use, as the other pages do')
    t.same((await get('/api/v1/stats?from=2024-01&to=2024-01')).json<StatsJson>().months, ['2024-01'], 'a range of one month')
  })

  t.test('cached per data version; 304 for a current copy', async (t) => {
    for (const url of ['/stats', '/api/v1/stats', '/api/v1/stats.csv']) {
      const first = await get(url)
      t.ok(first.headers.etag, `${url} has an ETag`)
      const again = await get(url, { 'if-none-match': String(first.headers.etag) })
      t.equal(again.statusCode, 304, `${url}: 304 while the data is the same`)
    }
  })

  t.test('static copies: the default page has no query-string link of its own host', async (t) => {
    const copy = await testApp(t, { dbPath, dynamicUrl: 'https://live.example.org' })
    const html = (await copy.inject({ url: '/stats' })).body
    const links = [...html.matchAll(/(?:href|action)="([^"]*)"/g)].map((m) => m[1]!)
    t.same(links.filter((l) => l.startsWith('/') && l.includes('?')), [], 'no same-site link with a query string')
    t.ok(links.includes('https://live.example.org/stats?from=2024-06&amp;to=2025-05'), 'earlier months on the dynamic host')
    t.ok(links.includes('https://live.example.org/stats'), 'the range form posts to the dynamic host')
    t.ok(links.includes('/api/v1/stats') && links.includes('/api/v1/stats.csv'), 'the default JSON and CSV are in the copy')
    const bare = await testApp(t, { dbPath, dynamicUrl: null })
    const plain = (await bare.inject({ url: '/stats' })).body
    t.notMatch(plain, /<form class="filters stats-form"/, 'no form without a dynamic host')
    t.notMatch(plain, 'Earlier 12 months', 'no range links without a dynamic host')
    const other = await testApp(t, { dbPath, dynamicUrl: null })
    t.equal((await other.inject({ url: '/stats' })).body, plain, 'another server over the same data writes the same bytes')
  })

  t.test('the home page: what happened in the 7 and 30 days to the newest advisory\'s day', async (t) => {
    const html = (await get('/')).body
    const day = '2026-05-10'
    t.match(html, `<caption>Advisories in the 7 and 30 days to <time datetime="${day}">${day}</time>, the newest advisory's day</caption>`)
    const all = [...expected.values()].flat()
    const rows = tableAfter(html, '<table class="stats recent-products">')
    t.same(rows[0], ['Product', '7 days', '7 days, critical or important', '30 days', '30 days, critical or important'])
    const active = products.filter((p) => inDays(expected.get(p)!, '2026-04-11', day).length > 0)
    t.same(active, ['lab'], 'only the lab product issued anything in the 30 days')
    t.same(rows.slice(1, -1), active.map((p) => {
      const [week, month] = [inDays(expected.get(p)!, '2026-05-04', day), inDays(expected.get(p)!, '2026-04-11', day)]
      return ['Lab & Co Linux', String(week.length), String(urgent(week)), String(month.length), String(urgent(month))]
    }))
    const [week, month] = [inDays(all, '2026-05-04', day), inDays(all, '2026-04-11', day)]
    t.same(rows.at(-1), ['All products', String(week.length), String(urgent(week)), String(month.length), String(urgent(month))])
    // Spelled out: 7 days = LAB-3 (high) and LAB-7 (00:00 on the first day); 30 days adds LAB-8, LAB-10 (00:00 on the first day) and LAB-2.
    t.same(rows.at(-1), ['All products', '2', '1', '5', '3'])
    // The chart: 13 weeks ending on the newest day, each bar's title its count.
    const titles = [...html.matchAll(/<title>Week (\d{4}-\d{2}-\d{2}) to (\d{4}-\d{2}-\d{2}): (\d+) advisor(?:y|ies), (\d+) critical or important<\/title>/g)]
    t.ok(titles.length > 0, 'bars with titles')
    for (const [, from, to, n, u] of titles) {
      const inWeek = inDays(all, from!, to!)
      t.same([Number(n), Number(u)], [inWeek.length, urgent(inWeek)], `week ${from} to ${to}`)
    }
    t.same(titles.at(-1)!.slice(1, 3), ['2026-05-04', day], 'the last bar is the 7 days of the summary')
    t.match(html, `<title id="weeks-chart-title">Advisories per week, the 13 weeks to ${day}</title>`)
    t.match(html, '<details class="filter-panel">\n<summary>Search and filters</summary>', 'the filter panel is folded')
  })

  t.test('the summary answers the plain first page only; a product page shows its own', async (t) => {
    const filtered = (await get('/?severity=low')).body
    t.notMatch(filtered, 'What happened lately', 'not over a filtered list')
    t.match(filtered, '<details class="filter-panel" open>', 'the panel is open when a filter is set')
    t.notMatch((await get('/?per_page=10&page=2')).body, 'What happened lately', 'not on page 2')
    t.notMatch((await get('/?per_page=10&page=2')).body, '<details class="filter-panel" open>', 'paging alone leaves the panel folded')
    const labPage = (await get('/lab')).body
    t.match(labPage, 'In the 7 days to <time datetime="2026-05-10">2026-05-10</time>, the newest advisory\'s day: <strong>2 advisories</strong>, 1 critical or important. In the 30 days: <strong>5 advisories</strong>, 3 critical or important.')
    t.notMatch(labPage, 'recent-products', 'no per-product table on a product\'s own page')
    const quiet = (await get('/amzn2')).body
    t.match(quiet, 'In the 7 days to <time datetime="2026-05-10">2026-05-10</time>, the newest advisory\'s day: <strong>0 advisories</strong>, 0 critical or important. In the 30 days: <strong>0 advisories</strong>, 0 critical or important.', 'a quiet product says so')
  })
})
