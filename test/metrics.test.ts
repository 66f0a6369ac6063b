// GET /metrics, scraped with app.inject and read by a strict parser of the Prometheus text format
// (test/helpers/prometheus.ts): each metric is there and moves when it should, against the database and the
// real ingest worker.
import t, { type Test } from 'tap'
import { join } from 'node:path'
import type { FastifyInstance } from 'fastify'
import { runIngest } from '../ingest/run.js'
import { readRows } from './helpers/db.js'
import { tempDir } from './helpers/paths.js'
import { histogramSeries, parseMetrics, sampleValue, type Family } from './helpers/prometheus.js'
import { writeRepo } from './helpers/repo-builder.js'
import { demoRepos, ingestOk, testApp, testDb } from './helpers/test-app.js'

type Families = Map<string, Family>

async function scrape (t: Test, app: FastifyInstance): Promise<Families> {
  const res = await app.inject('/metrics')
  t.equal(res.statusCode, 200, 'GET /metrics answers 200')
  return parseMetrics(res.body)
}

const value = (families: Families, name: string, labels: Record<string, string> = {}): number => sampleValue(families, name, labels) ?? 0

const update = (id: string): string => `<update status="final" type="security" version="1">
    <id>${id}</id>
    <title>Important: ${id}</title>
    <issued date="2024-05-01 10:00:00"/>
    <severity>Important</severity>
    <pkglist><collection short="lab"><package name="tool-${id}" version="1.0" release="1" arch="x86_64" src="tool-1.0-1.src.rpm"/></collection></pkglist>
  </update>`

const labXml = (ids: string[]): string => `<?xml version="1.0" encoding="UTF-8"?>\n<updates>\n  ${ids.map(update).join('\n  ')}\n</updates>\n`

/** Waits for the wall clock's next second: ingest times are kept to the second. */
async function nextSecond (): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 1000 - (Date.now() % 1000) + 20))
}

t.test('/metrics', async (t) => {
  const { dir, dbPath } = testDb(t)
  await ingestOk(t, dbPath, demoRepos(['amzn2', 'al2023']))
  const advisory = readRows<{ id: string }>(dbPath, "SELECT id FROM advisory WHERE product_id = 'amzn2' ORDER BY id LIMIT 1")[0]!.id
  const advisoryUrl = `/amzn2/${encodeURIComponent(advisory)}`

  t.test('Prometheus text, not cached, not in the OpenAPI description; process metrics on a registry of its own', async (t) => {
    const app = await testApp(t, { dbPath })
    const res = await app.inject('/metrics')
    t.equal(res.statusCode, 200)
    t.equal(res.headers['content-type'], 'text/plain; version=0.0.4; charset=utf-8')
    t.equal(res.headers['cache-control'], 'no-store')
    const families = parseMetrics(res.body)
    for (const [name, type] of Object.entries({
      llsc_http_requests_total: 'counter',
      llsc_http_request_duration_seconds: 'histogram',
      llsc_http_cache_hits_total: 'counter',
      llsc_http_cache_misses_total: 'counter',
      llsc_http_cache_not_modified_total: 'counter',
      llsc_http_cache_entries: 'gauge',
      llsc_advisories: 'gauge',
      llsc_ingest_last_success_age_seconds: 'gauge',
      llsc_ingest_last_success_timestamp_seconds: 'gauge',
      llsc_ingest_last_status: 'gauge',
      process_cpu_seconds_total: 'counter',
      process_resident_memory_bytes: 'gauge',
      nodejs_heap_size_used_bytes: 'gauge',
      nodejs_eventloop_lag_seconds: 'gauge'
    })) {
      t.equal(families.get(name)?.type, type, `${name} is a ${type}`)
      t.ok((families.get(name)?.help ?? '') !== '', `${name} says what it is`)
    }
    const openapi = (await app.inject('/openapi.json')).json() as { paths: Record<string, unknown> }
    t.notOk('/metrics' in openapi.paths, '/metrics is not part of the API description')

    // A second app in the same process counts only its own requests.
    const other = await testApp(t, { dbPath })
    await other.inject('/products')
    const mine = await scrape(t, app)
    t.equal(value(mine, 'llsc_http_requests_total', { route: '/products', method: 'GET', status: '200' }), 0, 'the other app\'s request is not counted here')
    t.equal(value(await scrape(t, other), 'llsc_http_requests_total', { route: '/products', method: 'GET', status: '200' }), 1, 'but there')
  })

  t.test('requests by route pattern and status, 404s, latency; scrapes are not counted', async (t) => {
    const app = await testApp(t, { dbPath })
    const page = { route: '/:product/:id', method: 'GET', status: '200' }
    const before = await scrape(t, app)
    const latencyBefore = histogramSeries(before, 'llsc_http_request_duration_seconds', { route: '/:product/:id', method: 'GET' })?.count ?? 0
    t.equal((await app.inject(advisoryUrl)).statusCode, 200)
    t.equal((await app.inject('/amzn2/NO-SUCH-ADVISORY')).statusCode, 404)
    t.equal((await app.inject('/no/such/page/here')).statusCode, 404)
    t.equal((await app.inject({ method: 'HEAD', url: advisoryUrl })).statusCode, 200)
    const after = await scrape(t, app)

    t.equal(value(after, 'llsc_http_requests_total', page) - value(before, 'llsc_http_requests_total', page), 1, 'the page counts once, by its route pattern')
    t.equal(value(after, 'llsc_http_requests_total', { ...page, status: '404' }), 1, 'a 404 from a matched route keeps its pattern')
    t.equal(value(after, 'llsc_http_requests_total', { route: '404', method: 'GET', status: '404' }), 1, 'an unmatched URL counts under "404"')
    t.equal(value(after, 'llsc_http_requests_total', { ...page, method: 'HEAD' }), 1, 'HEAD apart from GET')
    const labels = [...after.get('llsc_http_requests_total')!.samples.map((s) => s.labels.route!)]
    t.notOk(labels.some((l) => l.includes(advisory) || l.includes('no/such')), 'no raw URL in the route label')
    t.notOk(labels.includes('/metrics'), 'scrapes of /metrics are not counted')

    const latency = histogramSeries(after, 'llsc_http_request_duration_seconds', { route: '/:product/:id', method: 'GET' })!
    t.equal(latency.count - latencyBefore, 2, 'the histogram counts the 200 and the 404 of that route')
    t.strictSame(latency.buckets.map(([le]) => le), [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, Infinity], 'buckets from 0.5 ms to 2 s')
    t.ok(latency.sum > 0 && latency.sum < 10, `the latencies add up to ${latency.sum} s`)
    t.equal(histogramSeries(after, 'llsc_http_request_duration_seconds', { route: '404', method: 'GET' })?.count, 1)
    t.equal(histogramSeries(after, 'llsc_http_request_duration_seconds', { route: '/metrics', method: 'GET' }), undefined, 'no latency for scrapes')
  })

  t.test('body cache: a miss, then a hit for the same page; a 304 from the version alone', async (t) => {
    const app = await testApp(t, { dbPath })
    const counts = (f: Families): number[] => ['llsc_http_cache_misses_total', 'llsc_http_cache_hits_total', 'llsc_http_cache_not_modified_total'].map((n) => value(f, n))
    const start = await scrape(t, app)
    const first = await app.inject(advisoryUrl)
    const afterFirst = await scrape(t, app)
    t.strictSame(counts(afterFirst).map((n, i) => n - counts(start)[i]!), [1, 0, 0], 'first request: a miss')
    t.ok(value(afterFirst, 'llsc_http_cache_entries') >= 1, 'the body is kept')
    t.equal((await app.inject(advisoryUrl)).body, first.body)
    const afterSecond = await scrape(t, app)
    t.strictSame(counts(afterSecond).map((n, i) => n - counts(afterFirst)[i]!), [0, 1, 0], 'same page again: a hit')
    const res = await app.inject({ url: advisoryUrl, headers: { 'if-none-match': first.headers.etag as string } })
    t.equal(res.statusCode, 304)
    const afterThird = await scrape(t, app)
    t.strictSame(counts(afterThird).map((n, i) => n - counts(afterSecond)[i]!), [0, 0, 1], 'a current ETag: a 304, no lookup')
    t.equal(value(afterThird, 'llsc_http_requests_total', { route: '/:product/:id', method: 'GET', status: '304' }), 1, 'the 304 in the request counter')
  })

  t.test('advisories per product and ingest state, from the database at each scrape', async (t) => {
    const labRoot = join(dir, 'lab')
    const brokenRoot = tempDir(t)
    const base = demoRepos(['amzn2'])[0]!
    const lab = { ...base, productId: 'lab', productName: 'Lab Linux', url: labRoot, baseurls: [labRoot], name: 'lab x86_64' }
    const broken = { ...base, productId: 'lab', productName: 'Lab Linux', url: brokenRoot, baseurls: [brokenRoot], name: 'empty' }
    writeRepo(labRoot, labXml(['LAB-1', 'LAB-2', 'LAB-3', 'LAB-4']))
    await ingestOk(t, dbPath, [lab])
    const app = await testApp(t, { dbPath })
    const labRepo = { product: 'lab', repo: labRoot }
    const statusOf = (f: Families, repo: Record<string, string>): string[] => ['ok', 'unchanged', 'failed'].filter((s) => value(f, 'llsc_ingest_last_status', { ...repo, status: s }) === 1)
    const successAt = (): number => Date.parse(readRows<{ at: string }>(dbPath, 'SELECT last_success_at AS at FROM repo WHERE url = ?', labRoot)[0]!.at) / 1000

    const expectAdvisories = (t: Test, f: Families): void => {
      const rows = readRows<{ product: string, withdrawn: number, n: number }>(dbPath, 'SELECT product_id AS product, withdrawn, count(*) AS n FROM advisory GROUP BY product_id, withdrawn')
      const expected = new Map<string, number>()
      for (const p of ['amzn2', 'al2023', 'lab']) for (const w of [0, 1]) expected.set(`${p} ${w === 1}`, rows.find((r) => r.product === p && r.withdrawn === w)?.n ?? 0)
      const got = new Map(f.get('llsc_advisories')!.samples.map((s) => [`${s.labels.product} ${s.labels.withdrawn}`, s.value]))
      t.strictSame(got, expected, 'advisories per product and withdrawn, as SQL counts them')
    }

    const first = await scrape(t, app)
    expectAdvisories(t, first)
    t.equal(value(first, 'llsc_advisories', { product: 'lab', withdrawn: 'false' }), 4)
    t.strictSame(statusOf(first, labRepo), ['ok'], 'lab: ok')
    t.strictSame(statusOf(first, { product: 'amzn2', repo: base.url }), ['ok'], 'amzn2: ok')
    t.equal(value(first, 'llsc_ingest_last_status', { ...labRepo, status: 'failed' }), 0, 'the other statuses are 0')
    t.equal(value(first, 'llsc_ingest_last_success_timestamp_seconds', labRepo), successAt(), 'the last success, as the repo table has it')
    const age = value(first, 'llsc_ingest_last_success_age_seconds', labRepo)
    t.ok(Math.abs(age - (Date.now() / 1000 - successAt())) < 5, `the age (${age} s) is now - last_success_at`)
    await new Promise((resolve) => setTimeout(resolve, 30))
    t.ok(value(await scrape(t, app), 'llsc_ingest_last_success_age_seconds', labRepo) > age, 'and grows')

    // Another ingest, a second later, drops LAB-4 (withdrawn); a repo that was never ingested fails.
    await nextSecond()
    writeRepo(labRoot, labXml(['LAB-1', 'LAB-2', 'LAB-3']))
    const second = await runIngest({ dbPath, repos: [lab, broken] })
    t.strictSame(second.repos.map((r) => r.status), ['ok', 'failed'])
    const afterSecond = await scrape(t, app)
    expectAdvisories(t, afterSecond)
    t.strictSame([value(afterSecond, 'llsc_advisories', { product: 'lab', withdrawn: 'false' }), value(afterSecond, 'llsc_advisories', { product: 'lab', withdrawn: 'true' })], [3, 1], 'LAB-4 moved to withdrawn')
    t.equal(value(afterSecond, 'llsc_ingest_last_success_timestamp_seconds', labRepo), successAt(), 'the new success time')
    t.ok(value(afterSecond, 'llsc_ingest_last_success_timestamp_seconds', labRepo) > value(first, 'llsc_ingest_last_success_timestamp_seconds', labRepo), 'later than the first')
    t.ok(value(afterSecond, 'llsc_ingest_last_success_age_seconds', labRepo) < 2, 'the age starts again')
    const brokenRepo = { product: 'lab', repo: brokenRoot }
    t.strictSame(statusOf(afterSecond, brokenRepo), ['failed'], 'the empty repo: failed')
    t.equal(sampleValue(afterSecond, 'llsc_ingest_last_success_age_seconds', brokenRepo), Infinity, 'never succeeded: +Inf seconds')
    t.equal(sampleValue(afterSecond, 'llsc_ingest_last_success_timestamp_seconds', brokenRepo), undefined, 'and no success time')

    // The lab repo breaks: its status flips to failed, its last success stays.
    writeRepo(labRoot, '<updates><update')
    t.strictSame((await runIngest({ dbPath, repos: [lab] })).repos.map((r) => r.status), ['failed'])
    const third = await scrape(t, app)
    t.strictSame(statusOf(third, labRepo), ['failed'], 'lab: ok -> failed')
    t.equal(value(third, 'llsc_ingest_last_success_timestamp_seconds', labRepo), value(afterSecond, 'llsc_ingest_last_success_timestamp_seconds', labRepo), 'the last success is kept')

    // Unchanged bytes: a success with status "unchanged".
    writeRepo(labRoot, labXml(['LAB-1', 'LAB-2', 'LAB-3']))
    await runIngest({ dbPath, repos: [lab] })
    await runIngest({ dbPath, repos: [lab] })
    t.strictSame(statusOf(await scrape(t, app), labRepo), ['unchanged'], 'lab: unchanged')
  })
})

t.test('the parser refuses what the format does not allow', async (t) => {
  const bad = {
    'no final line feed': 'a 1',
    'a value that is not a number': 'a x\n',
    'an unterminated label value': 'a{b="c} 1\n',
    'a bad escape': 'a{b="\\t"} 1\n',
    'a TYPE after samples': 'a 1\n# TYPE a gauge\n',
    'the lines of a metric apart': 'a 1\nb 1\na{c="d"} 2\n',
    'a histogram without +Inf': '# TYPE h histogram\nh_bucket{le="1"} 1\nh_sum 1\nh_count 1\n'
  }
  for (const [what, text] of Object.entries(bad)) {
    t.throws(() => { const f = parseMetrics(text); if (f.get('h') !== undefined) histogramSeries(f, 'h', {}) }, `refused: ${what}`)
  }
  const good = parseMetrics('# HELP h Latency\\nin s\n# TYPE h histogram\nh_bucket{a="x\\"y",le="1"} 1\nh_bucket{a="x\\"y",le="+Inf"} 2\nh_sum{a="x\\"y"} 3.5\nh_count{a="x\\"y"} 2\nh_bucket{a="z",le="1"} 0\nh_bucket{a="z",le="+Inf"} 1\nh_sum{a="z"} 9\nh_count{a="z"} 1\n')
  t.equal(good.get('h')?.help, 'Latency\nin s')
  t.strictSame(histogramSeries(good, 'h', { a: 'x"y' }), { buckets: [[1, 1], [Infinity, 2]], sum: 3.5, count: 2 }, 'series of a labelled histogram stay apart')
  t.strictSame(histogramSeries(good, 'h', { a: 'z' }), { buckets: [[1, 0], [Infinity, 1]], sum: 9, count: 1 })
})
