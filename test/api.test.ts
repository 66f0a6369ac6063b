// The JSON API over the demo data plus a "lab" product: exact shapes against independent SQL, filters, keyset
// paging across an ingest, lookups, POST /api/v1/query verdicts by rpm's rules, errors, caching, health, OpenAPI.
import t, { type Test } from 'tap'
import { createHash } from 'node:crypto'
import { join } from 'node:path'
import { gunzipSync } from 'node:zlib'
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import type { RepoSpec } from '../ingest/config.js'
import { runIngest } from '../ingest/run.js'
import { latestVersion, migrate } from '../db/migrate.js'
import { openDatabase } from '../db/open.js'
import type { AppOptions } from '../server/app.js'
import { defaultQueryLimits, epochNote } from '../server/matching/query-answer.js'
import { readRows } from './helpers/db.js'
import { tempDir } from './helpers/paths.js'
import { writeRepo } from './helpers/repo-builder.js'
import { demoRepos, ingestOk, testApp, testDb } from './helpers/test-app.js'

// ---------------------------------------------------------------------------------------------------------
// The lab product: versions with epochs, tildes and carets, noarch, two arches of one package, an id that
// amzn2 uses too, an odd id without a date, and LAB-2024:0002, which the second ingest drops (withdrawn).

const gone = `<update status="final" type="bugfix" version="1">
    <id>LAB-2024:0002</id>
    <title>Low: gone update</title>
    <issued date="2024-04-01 00:00:00"/>
    <severity>Low</severity>
    <pkglist><collection short="lab-2"><package name="gone" version="9.0" release="1" arch="x86_64" src="gone-9.0-1.src.rpm"/></collection></pkglist>
  </update>`

const labXml = (options: { gone?: boolean, extra?: string } = {}): string => `<?xml version="1.0" encoding="UTF-8"?>
<updates>
  <update from="lab@example.com" status="final" type="security" version="1">
    <id>LAB-2024:0001</id>
    <title>Critical: tool, snap, epo, plain, docs and libfoo update</title>
    <issued date="2024-05-01 10:00:00"/>
    <updated date="2024-05-02 11:30:00"/>
    <severity>Critical</severity>
    <summary>Lab summary.</summary>
    <description>Fixes two lab flaws.</description>
    <references>
      <reference href="https://www.cve.org/CVERecord?id=CVE-2024-1111" id="CVE-2024-1111" type="cve" title="CVE-2024-1111"/>
      <reference href="https://www.cve.org/CVERecord?id=CVE-2024-2222" id="CVE-2024-2222" type="cve" title="CVE-2024-2222"/>
      <reference href="https://bugzilla.example.com/77" id="77" type="bugzilla" title="lab bug"/>
    </references>
    <pkglist>
      <collection short="lab-1">
        <name>Lab 1</name>
        <package name="tool" epoch="0" version="2.0~rc1" release="1" arch="x86_64" src="tool-2.0~rc1-1.src.rpm"><filename>tool-2.0~rc1-1.x86_64.rpm</filename></package>
        <package name="tool" epoch="0" version="2.0~rc1" release="1" arch="src"><filename>tool-2.0~rc1-1.src.rpm</filename></package>
        <package name="snap" version="1.0^git5" release="1" arch="x86_64" src="snap-1.0^git5-1.src.rpm"/>
        <package name="epo" epoch="1" version="2.0" release="1" arch="x86_64" src="epo-2.0-1.src.rpm"/>
        <package name="plain" epoch="0" version="3.0" release="1" arch="x86_64" src="plain-3.0-1.src.rpm"/>
        <package name="docs" version="3.0" release="1" arch="noarch" src="docs-3.0-1.src.rpm"/>
        <package name="libfoo" version="1.5" release="2" arch="i686" src="foo-1.5-2.src.rpm"/>
        <package name="libfoo" version="1.5" release="2" arch="x86_64" src="foo-1.5-2.src.rpm"/>
      </collection>
    </pkglist>
  </update>
  ${options.gone === true ? gone : ''}
  <update status="final" type="enhancement" version="1">
    <id>ALAS2-2018-939</id>
    <title>the lab reuses an Amazon Linux 2 id</title>
    <issued date="2018-01-01"/>
    <pkglist><collection short="lab-3"><package name="zlib" version="1" release="1" arch="noarch"/></collection></pkglist>
  </update>
  <update status="final" type="newpackage" version="1">
    <id>LAB/2023 "odd"</id>
    <title>an id with a slash and quotes, and no date</title>
  </update>
  ${options.extra ?? ''}
</updates>`

const lab1 = 'LAB-2024:0001'
const lab1Html = 'http://localhost/lab/LAB-2024%3A0001'
const lab1Api = 'http://localhost/api/v1/products/lab/advisories/LAB-2024%3A0001.json'

type Res = LightMyRequestResponse
/** Status codes seen per route ("GET /api/v1/cves/:cve"), so the OpenAPI test can check they are documented. */
type Seen = Map<string, Set<number>>

interface Ctx { dbPath: string, labRoot: string, lab: RepoSpec, app: FastifyInstance, seen: Seen }

async function makeApp (t: Test, options: AppOptions, seen: Seen): Promise<FastifyInstance> {
  const app = await testApp(t, options)
  app.addHook('onResponse', async (request, reply) => {
    const key = `${request.method} ${request.routeOptions.url ?? '(none)'}`
    if (!seen.has(key)) seen.set(key, new Set())
    seen.get(key)!.add(reply.statusCode)
  })
  return app
}

async function setup (t: Test): Promise<Ctx> {
  const { dir, dbPath } = testDb(t)
  const labRoot = join(dir, 'lab')
  const lab: RepoSpec = { productId: 'lab', productName: 'Lab Linux', url: labRoot, kind: 'baseurl', baseurls: [labRoot], name: 'lab x86_64', allowedHosts: [] }
  writeRepo(labRoot, labXml({ gone: true }))
  await ingestOk(t, dbPath, [...demoRepos(), lab])
  writeRepo(labRoot, labXml())
  const second = await runIngest({ dbPath, repos: [lab] })
  t.equal(second.repos[0]?.withdrawn, 1, 'LAB-2024:0002 is withdrawn by the second ingest')
  t.same(readRows(dbPath, "SELECT withdrawn FROM advisory WHERE id = 'LAB-2024:0002'"), [{ withdrawn: 1 }])
  const seen: Seen = new Map()
  const app = await makeApp(t, { dbPath }, seen)
  return { dbPath, labRoot, lab, app, seen }
}

// ---------------------------------------------------------------------------------------------------------
// Independent expectations, read from the database.

const apiOrder = "coalesce(a.issued, '') DESC, a.id DESC, a.product_id DESC"

/** "product/id" of the advisories matching `where`, in the order given. */
function sqlKeys (dbPath: string, where: string, order = apiOrder, ...params: unknown[]): string[] {
  return readRows<{ k: string }>(dbPath, `SELECT a.product_id || '/' || a.id AS k FROM advisory a ${where} ORDER BY ${order}`, ...params).map((r) => r.k)
}

const keysOf = (items: Array<{ product: string, id: string }>): string[] => items.map((i) => `${i.product}/${i.id}`)

interface AdvisoryRow { pk: number, product_id: string, id: string, type: string | null, status: string | null, severity: string | null, title: string | null, summary: string | null, description: string | null, solution: string | null, issued: string | null, updated: string | null, issued_raw: string | null, updated_raw: string | null, withdrawn: number, reboot_suggested: number }

function advisoryRow (dbPath: string, product: string, id: string): AdvisoryRow {
  const row = readRows<AdvisoryRow>(dbPath, 'SELECT * FROM advisory WHERE product_id = ? AND id = ?', product, id)[0]
  if (row === undefined) throw new Error(`no ${product}/${id} in the test database`)
  return row
}

const cvesOf = (dbPath: string, pk: number): string[] =>
  readRows<{ cve: string }>(dbPath, 'SELECT DISTINCT cve FROM advisory_cve WHERE advisory_pk = ? ORDER BY cve', pk).map((r) => r.cve)

const htmlUrl = (product: string, id: string): string => `http://localhost/${product}/${encodeURIComponent(id)}`
const apiUrl = (product: string, id: string): string => `http://localhost/api/v1/products/${product}/advisories/${encodeURIComponent(id)}.json`

/** GET /api/v1/advisories/{id}, built from the advisory's rows. */
function expectedDetail (dbPath: string, product: string, id: string): Record<string, unknown> {
  const a = advisoryRow(dbPath, product, id)
  return {
    id,
    product,
    type: a.type,
    status: a.status,
    severity: a.severity,
    title: a.title,
    summary: a.summary,
    description: a.description,
    solution: a.solution,
    issued: a.issued,
    updated: a.updated,
    issued_raw: a.issued_raw,
    updated_raw: a.updated_raw,
    withdrawn: a.withdrawn === 1,
    reboot_suggested: a.reboot_suggested === 1,
    cves: cvesOf(dbPath, a.pk),
    references: readRows(dbPath, 'SELECT type, ref_id AS id, href, title FROM advisory_reference WHERE advisory_pk = ? ORDER BY repo_id, seq', a.pk),
    packages: readRows(dbPath, `SELECT p.name, p.epoch, p.version, p.release, p.arch, p.src, p.filename, coalesce(c.name, c.short) AS collection
      FROM advisory_package p JOIN advisory_collection c ON c.pk = p.collection_pk WHERE p.advisory_pk = ? ORDER BY p.arch, p.name, c.seq, p.seq`, a.pk),
    modules: readRows(dbPath, `SELECT m.name, m.stream, m.version, m.context, m.arch FROM advisory_module m
      JOIN advisory_collection c ON c.pk = m.collection_pk WHERE c.advisory_pk = ? ORDER BY c.seq, m.seq`, a.pk),
    ...productFields[`${product}/${id}`],
    signing_key: readRows(dbPath, 'SELECT fingerprint, user_id, created, import_url FROM signing_key WHERE product_id = ? AND fingerprint IS NOT NULL', product)[0] ?? null,
    html_url: htmlUrl(product, id)
  }
}

/** The package manager, command and source repo each advisory's product gives it (ingest/demo/config.json; lab has none). */
const productFields: Record<string, { package_manager: string, update_command: string, source_repo: string | null }> = {
  'rocky8/RLSA-2019:1972': { package_manager: 'dnf', update_command: 'dnf upgrade rubygem-abrt rubygem-bson', source_repo: 'baseos-source' },
  'amzn2/ALAS2-2018-939': { package_manager: 'yum', update_command: 'yum update kernel perf python-perf', source_repo: 'amzn2-core-source' },
  'alma9/ALSA-2022:4940': { package_manager: 'dnf', update_command: 'dnf upgrade xz', source_repo: 'baseos-source' },
  'lab/LAB-2024:0001': { package_manager: 'yum', update_command: 'yum update docs epo foo plain snap tool', source_repo: null },
  'lab/LAB-2024:0002': { package_manager: 'yum', update_command: 'yum update gone', source_repo: null }
}

/** The advisories of a CVE or package lookup: newest first, with the fixed packages (only `name`'s when given). */
function expectedWithFixes (dbPath: string, where: string, name: string | null, ...params: unknown[]): unknown[] {
  const rows = readRows<AdvisoryRow>(dbPath, `SELECT a.* FROM advisory a ${where} ORDER BY ${apiOrder}`, ...params)
  return rows.map((a) => {
    const byName = name === null ? '' : 'AND (name = ? OR src_name = ?)'
    const fixed = readRows<{ name: string, epoch: string, version: string, release: string, arch: string }>(dbPath, `SELECT DISTINCT name, epoch, version, release, arch
      FROM advisory_package WHERE advisory_pk = ? ${byName} ORDER BY arch, name`, a.pk, ...(name === null ? [] : [name, name]))
    return {
      id: a.id,
      product: a.product_id,
      severity: a.severity,
      type: a.type,
      title: a.title,
      issued: a.issued,
      withdrawn: a.withdrawn === 1,
      fixed: fixed.map((p) => {
        const evr = `${p.epoch === '0' ? '' : `${p.epoch}:`}${p.version}-${p.release}`
        return { nevra: `${p.name}-${evr}.${p.arch}`, name: p.name, evr, arch: p.arch }
      }),
      html_url: htmlUrl(a.product_id, a.id),
      api_url: apiUrl(a.product_id, a.id)
    }
  })
}

// ---------------------------------------------------------------------------------------------------------
// Requests.

async function get (app: FastifyInstance, url: string, headers: Record<string, string> = {}): Promise<Res> {
  return await app.inject({ method: 'GET', url, headers })
}

/** Every page of a list, following next_cursor; each page's size and cursor are returned too. */
async function walk (t: Test, app: FastifyInstance, query: string): Promise<{ keys: string[], pages: Array<{ size: number, cursor: string | null }> }> {
  const keys: string[] = []
  const pages: Array<{ size: number, cursor: string | null }> = []
  let cursor: string | null = null
  do {
    const res = await get(app, `/api/v1/advisories?${query}${cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`}`)
    t.equal(res.statusCode, 200, `${query}, page ${pages.length + 1}`)
    const body = res.json() as { items: Array<{ product: string, id: string }>, next_cursor: string | null }
    keys.push(...keysOf(body.items))
    cursor = body.next_cursor
    pages.push({ size: body.items.length, cursor })
    if (pages.length > 100) throw new Error('paging does not end')
  } while (cursor !== null)
  return { keys, pages }
}

async function postText (app: FastifyInstance, text: string, product: string | null = 'lab'): Promise<Res> {
  return await app.inject({ method: 'POST', url: `/api/v1/query${product === null ? '' : `?product=${product}`}`, headers: { 'content-type': 'text/plain' }, payload: text })
}

async function postJson (app: FastifyInstance, body: unknown): Promise<Res> {
  return await app.inject({ method: 'POST', url: '/api/v1/query', headers: { 'content-type': 'application/json' }, payload: JSON.stringify(body) })
}

/** An error answer: the status, JSON, nothing but `error` and `message` (plus `extra`), not cached. */
function isError (t: Test, res: Res, status: number, message: string | RegExp, what: string, extra: Record<string, unknown> = {}): void {
  t.equal(res.statusCode, status, `${what}: status`)
  t.match(res.headers['content-type'], /^application\/json/, `${what}: JSON`)
  t.equal(res.headers['cache-control'], 'no-store', `${what}: not cached`)
  const body = res.json() as Record<string, unknown>
  const statusText: Record<number, string> = { 400: 'Bad Request', 404: 'Not Found', 409: 'Conflict', 413: 'Payload Too Large', 415: 'Unsupported Media Type', 429: 'Too Many Requests' }
  if (typeof message === 'string') {
    t.strictSame(body, { error: statusText[status], message, ...extra }, `${what}: body`)
  } else {
    t.strictSame(Object.keys(body).sort(), ['error', 'message', ...Object.keys(extra)].sort(), `${what}: fields`)
    t.equal(body.error, statusText[status], `${what}: error`)
    t.match(body.message, message, `${what}: message`)
  }
}

// ---------------------------------------------------------------------------------------------------------

t.test('JSON API', async (t) => {
  const ctx = await setup(t)
  const { dbPath, app } = ctx

  t.test('a list item has exactly the contract fields, with the database values', async (t) => {
    const res = await get(app, '/api/v1/advisories?product=lab&limit=1000')
    t.equal(res.statusCode, 200)
    t.match(res.headers['content-type'], /^application\/json/)
    const body = res.json() as { items: Array<Record<string, unknown>>, next_cursor: unknown }
    t.strictSame(Object.keys(body).sort(), ['items', 'next_cursor'])
    t.equal(body.next_cursor, null, 'one page holds all of lab')
    const row = advisoryRow(dbPath, 'lab', lab1)
    t.strictSame(body.items.find((i) => i.id === lab1), {
      id: lab1,
      product: 'lab',
      type: 'security',
      severity: 'critical',
      title: 'Critical: tool, snap, epo, plain, docs and libfoo update',
      issued: row.issued,
      updated: row.updated,
      withdrawn: false,
      source_packages: ['docs', 'epo', 'foo', 'plain', 'snap', 'tool'],
      cves: ['CVE-2024-1111', 'CVE-2024-2222'],
      update_command: 'yum update docs epo foo plain snap tool', // LAB- ids: yum, the default
      html_url: lab1Html,
      api_url: lab1Api
    })
    t.equal(row.issued, '2024-05-01T10:00:00Z', 'dates are ISO 8601 UTC')
    t.equal(body.items.find((i) => i.id === 'LAB-2024:0002')?.withdrawn, true, 'withdrawn advisories are listed by default')
    const odd = body.items.find((i) => i.id === 'LAB/2023 "odd"')
    t.equal(odd?.html_url, 'http://localhost/lab/LAB%2F2023%20%22odd%22')
    t.equal(odd?.api_url, 'http://localhost/api/v1/products/lab/advisories/LAB%2F2023%20%22odd%22.json')
    t.equal(odd?.issued, null)

    const amzn = ((await get(app, '/api/v1/advisories?product=amzn2')).json() as { items: Array<Record<string, unknown>> }).items
    const a = advisoryRow(dbPath, 'amzn2', 'ALAS2-2018-939')
    t.strictSame(amzn.find((i) => i.id === 'ALAS2-2018-939'), {
      id: 'ALAS2-2018-939',
      product: 'amzn2',
      type: a.type,
      severity: a.severity,
      title: a.title,
      issued: a.issued,
      updated: a.updated,
      withdrawn: false,
      source_packages: ['kernel', 'perf', 'python-perf'], // derived: Amazon's updateinfo gives no src
      cves: cvesOf(dbPath, a.pk),
      update_command: 'yum update kernel perf python-perf',
      html_url: 'http://localhost/amzn2/ALAS2-2018-939',
      api_url: 'http://localhost/api/v1/products/amzn2/advisories/ALAS2-2018-939.json'
    })
  })

  t.test('filters return exactly the advisories SQL selects, in the API order', async (t) => {
    const viaPackage = (name: string): string => `WHERE a.pk IN (SELECT advisory_pk FROM advisory_package WHERE name = '${name}' OR src_name = '${name}')`
    const cases: Array<[string, string, string?]> = [
      ['', ''],
      ['product=lab', "WHERE a.product_id = 'lab'"],
      ['product=amzn2,rocky8', "WHERE a.product_id IN ('amzn2', 'rocky8')"],
      ['product=amzn2&product=rocky8', "WHERE a.product_id IN ('amzn2', 'rocky8')"],
      ['severity=important', "WHERE a.severity = 'important'"],
      ['severity=critical,none', "WHERE a.severity = 'critical' OR a.severity IS NULL"],
      ['type=bugfix&type=enhancement', "WHERE a.type IN ('bugfix', 'enhancement')"],
      ['type=bugfix,enhancement', "WHERE a.type IN ('bugfix', 'enhancement')"],
      ['package=tool', viaPackage('tool')],
      ['package=foo', viaPackage('foo')],
      ['package=kernel', viaPackage('kernel')],
      ['cve=cve-2017-5715', "WHERE a.pk IN (SELECT advisory_pk FROM advisory_cve WHERE cve = 'CVE-2017-5715')"],
      ['q=firewalld', "WHERE a.id = 'RLBA-2021:2580'"],
      ['q=kernel', 'WHERE a.pk IN (SELECT rowid FROM advisory_fts WHERE advisory_fts MATCH \'"kernel"*\')'],
      ['issued_after=2021-01-01&issued_before=2021-12-31', "WHERE a.issued >= '2021-01-01' AND a.issued < '2022-01-01'"],
      ['issued_after=2021-07-22&issued_before=2021-07-22', "WHERE substr(a.issued, 1, 10) = '2021-07-22'"],
      ['updated_after=2023-01-01', "WHERE coalesce(a.updated, a.issued) > '2023-01-01T00:00:00Z'"],
      ['updated_after=2023-02-22T23:22:00Z', "WHERE coalesce(a.updated, a.issued) > '2023-02-22T23:22:00Z'"],
      ['withdrawn=yes', 'WHERE a.withdrawn = 1'],
      ['withdrawn=no', 'WHERE a.withdrawn = 0'],
      ['withdrawn=any', ''],
      ['product=lab&severity=critical&type=security&withdrawn=no', "WHERE a.product_id = 'lab' AND a.severity = 'critical' AND a.type = 'security' AND a.withdrawn = 0"],
      ['order=asc', '', "coalesce(a.issued, '') ASC, a.id ASC, a.product_id ASC"],
      ['sort=updated', '', "coalesce(a.updated, a.issued, '') DESC, a.id DESC, a.product_id DESC"],
      ['sort=updated&order=asc&product=rocky8', "WHERE a.product_id = 'rocky8'", "coalesce(a.updated, a.issued, '') ASC, a.id ASC, a.product_id ASC"]
    ]
    for (const [query, where, order] of cases) {
      const res = await get(app, `/api/v1/advisories?${query}&limit=1000`)
      t.equal(res.statusCode, 200, query)
      const expected = sqlKeys(dbPath, where, order)
      t.ok(expected.length > 0, `${query}: the case selects something`)
      t.strictSame(keysOf((res.json() as { items: Array<{ product: string, id: string }> }).items), expected, query || '(no filter)')
    }
    const all = (await get(app, '/api/v1/advisories')).json() as { items: unknown[], next_cursor: string | null }
    t.equal(all.items.length, 33, 'the default limit (100) holds all 33')
    t.equal(all.next_cursor, null)
  })

  t.test('cursor paging walks every advisory exactly once, in order', async (t) => {
    const everything = sqlKeys(dbPath, '')
    t.equal(everything.length, 33)
    const { keys, pages } = await walk(t, app, 'limit=7')
    t.strictSame(keys, everything, 'pages concatenate to the whole list in coalesce(issued) DESC, id DESC, product DESC order')
    t.strictSame(pages.map((p) => p.size), [7, 7, 7, 7, 5])
    t.equal(pages.at(-1)?.cursor, null, 'next_cursor is null on the last page')
    t.ok(pages.slice(0, -1).every((p) => typeof p.cursor === 'string'), 'every other page has a cursor')

    const updated = await walk(t, app, 'limit=5&sort=updated&order=asc')
    t.strictSame(updated.keys, sqlKeys(dbPath, '', "coalesce(a.updated, a.issued, '') ASC, a.id ASC, a.product_id ASC"), 'sort=updated&order=asc pages too')
    const filtered = await walk(t, app, 'limit=3&product=opensuse11&type=recommended')
    t.strictSame(filtered.keys, sqlKeys(dbPath, "WHERE a.product_id = 'opensuse11' AND a.type = 'recommended'"), 'filters apply on every page')
  })

  t.test('next_cursor is null on a last page that is exactly full', async (t) => {
    // 14 opensuse11 advisories in pages of 7: the second page is the last one.
    const exact = await walk(t, app, 'limit=7&product=opensuse11')
    t.strictSame(exact.keys, sqlKeys(dbPath, "WHERE a.product_id = 'opensuse11'"))
    t.strictSame(exact.pages.map((p) => p.size), [7, 7], 'a list that fills its last page exactly: no extra empty page, next_cursor null on page 2')
  })

  t.test('bad list parameters give 400 with a JSON message naming the parameter', async (t) => {
    const cases: Array<[string, string | RegExp]> = [
      ['severity=bogus', /^severity: unknown severity "bogus"; use one of critical, important, moderate, medium, low, none/],
      ['product=nope', /^product: unknown product "nope"; known products: al2023, alma9, amzn2, bottlerocket, fedora43, lab, opensuse11, rocky8$/],
      ['type=nope', /^type: unknown type "nope"; use one of /],
      ['cve=12345', 'cve: "12345" is not a CVE id (CVE-YYYY-NNNN)'],
      ['limit=0', 'limit: "0" must be a whole number from 1 to 1000'],
      ['limit=1001', 'limit: "1001" must be a whole number from 1 to 1000'],
      ['limit=ten', 'limit: "ten" must be a whole number from 1 to 1000'],
      ['cursor=garbage', 'cursor: not a cursor this API gave out; start again without it'],
      [`cursor=${Buffer.from('[1,2,3]').toString('base64url')}`, 'cursor: not a cursor this API gave out; start again without it'],
      ['sort=severity', 'sort: the API sorts by issued or updated'],
      ['sort=id', 'sort: the API sorts by issued or updated'],
      ['order=sideways', 'order: use asc or desc'],
      ['issued_after=9999-99-99', 'issued_after: "9999-99-99" is not a real date'],
      ['issued_before=yesterday', 'issued_before: "yesterday" must be a date (YYYY-MM-DD) or an ISO 8601 time with a zone'],
      ['updated_after=2024-02-30', 'updated_after: "2024-02-30" is not a real date'],
      ['withdrawn=maybe', 'withdrawn: use yes, no or any'],
      [`q=${'x'.repeat(201)}`, 'q: longer than 200 characters'],
      ['package=a&package=b', /^querystring\/package must be string$/]
    ]
    for (const [query, message] of cases) isError(t, await get(app, `/api/v1/advisories?${query}`), 400, message, query)
    isError(t, await get(app, '/api/v1/nope'), 404, 'no such endpoint: GET /api/v1/nope; see /openapi.json', 'an unknown API path')
  })

  t.test('one advisory: every field, from the database', async (t) => {
    for (const [product, id] of [['rocky8', 'RLSA-2019:1972'], ['amzn2', 'ALAS2-2018-939'], ['alma9', 'ALSA-2022:4940'], ['lab', lab1], ['lab', 'LAB-2024:0002']] as const) {
      const res = await get(app, `/api/v1/advisories/${encodeURIComponent(id)}?product=${product}`)
      t.equal(res.statusCode, 200, `${product}/${id}`)
      t.strictSame(res.json(), expectedDetail(dbPath, product, id), `${product}/${id}`)
    }
    const rocky = (await get(app, '/api/v1/advisories/RLSA-2019%3A1972')).json() as { modules: unknown[], references: unknown[] }
    t.strictSame(rocky.modules, [{ name: 'ruby', stream: '2.6', version: '8060020220628150300', context: 'd63f516d', arch: 'x86_64' }], 'modules, the version kept as text')
    t.equal(rocky.references.length, 3)

    // The lab's versions as updateinfo wrote them: epochs (missing = "0"), tilde, caret, noarch, both arches.
    const labBody = (await get(app, `/api/v1/advisories/${encodeURIComponent(lab1)}?product=lab`)).json() as { packages: Array<Record<string, unknown>> }
    const pkg = (name: string, arch: string): Record<string, unknown> | undefined => labBody.packages.find((p) => p.name === name && p.arch === arch)
    t.strictSame(pkg('epo', 'x86_64'), { name: 'epo', epoch: '1', version: '2.0', release: '1', arch: 'x86_64', src: 'epo-2.0-1.src.rpm', filename: null, collection: 'Lab 1' })
    t.strictSame(pkg('snap', 'x86_64'), { name: 'snap', epoch: '0', version: '1.0^git5', release: '1', arch: 'x86_64', src: 'snap-1.0^git5-1.src.rpm', filename: null, collection: 'Lab 1' })
    t.strictSame(pkg('tool', 'x86_64'), { name: 'tool', epoch: '0', version: '2.0~rc1', release: '1', arch: 'x86_64', src: 'tool-2.0~rc1-1.src.rpm', filename: 'tool-2.0~rc1-1.x86_64.rpm', collection: 'Lab 1' })
    t.ok(pkg('libfoo', 'i686') !== undefined && pkg('libfoo', 'x86_64') !== undefined && pkg('docs', 'noarch') !== undefined)
    t.equal(((await get(app, '/api/v1/advisories/LAB-2024%3A0002?product=lab')).json() as { withdrawn: boolean }).withdrawn, true)
  })

  t.test('one advisory: ids with ":" or "/" work percent-encoded; 404 and 409 are JSON', async (t) => {
    t.equal((await get(app, '/api/v1/advisories/RLSA-2019%3A1972')).statusCode, 200, '":" percent-encoded')
    t.equal((await get(app, '/api/v1/advisories/RLSA-2019:1972')).statusCode, 200, '":" as is')
    const odd = await get(app, `/api/v1/advisories/${encodeURIComponent('LAB/2023 "odd"')}`)
    t.equal(odd.statusCode, 200)
    t.equal((odd.json() as { id: string }).id, 'LAB/2023 "odd"')
    t.equal((odd.json() as { html_url: string }).html_url, 'http://localhost/lab/LAB%2F2023%20%22odd%22')

    isError(t, await get(app, '/api/v1/advisories/NOPE'), 404, 'no advisory "NOPE"', 'unknown id')
    isError(t, await get(app, '/api/v1/advisories/ALAS2-2018-939?product=rocky8'), 404, 'product "rocky8" has no advisory "ALAS2-2018-939"', 'wrong product')
    isError(t, await get(app, '/api/v1/advisories/ALAS2-2018-939?product=nope'), 404, 'product "nope" has no advisory "ALAS2-2018-939"', 'unknown product')
    const conflict = 'advisory "ALAS2-2018-939" exists in several products: amzn2, lab; add ?product='
    isError(t, await get(app, '/api/v1/advisories/ALAS2-2018-939'), 409, conflict, 'ambiguous id', { products: ['amzn2', 'lab'] })
    isError(t, await get(app, '/api/v1/advisories/ALAS2-2018-939/osv'), 409, conflict, 'ambiguous id, OSV', { products: ['amzn2', 'lab'] })
    isError(t, await get(app, '/api/v1/advisories/NOPE/osv'), 404, 'no advisory "NOPE"', 'unknown id, OSV')
    t.equal(((await get(app, '/api/v1/advisories/ALAS2-2018-939?product=lab')).json() as { title: string }).title, 'the lab reuses an Amazon Linux 2 id')
  })

  t.test('CVE lookup: every fixing advisory in every product, with its fixed packages', async (t) => {
    const where = "WHERE a.pk IN (SELECT advisory_pk FROM advisory_cve WHERE cve = 'CVE-2017-5715')"
    const expected = { cve: 'CVE-2017-5715', html_url: 'http://localhost/cve/CVE-2017-5715', advisories: expectedWithFixes(dbPath, where, null) }
    t.ok(expected.advisories.length > 1)
    const res = await get(app, '/api/v1/cves/CVE-2017-5715')
    t.equal(res.statusCode, 200)
    t.strictSame(res.json(), expected)
    t.strictSame((await get(app, '/api/v1/cves/cve-2017-5715')).json(), expected, 'lower-case input')
    const lab = (await get(app, '/api/v1/cves/CVE-2024-2222')).json() as { advisories: Array<{ id: string, fixed: Array<{ nevra: string }> }> }
    t.strictSame(lab.advisories.map((a) => a.id), [lab1])
    t.strictSame(lab.advisories[0]?.fixed.map((f) => f.nevra), ['libfoo-1.5-2.i686', 'docs-3.0-1.noarch', 'tool-2.0~rc1-1.src', 'epo-1:2.0-1.x86_64',
      'libfoo-1.5-2.x86_64', 'plain-3.0-1.x86_64', 'snap-1.0^git5-1.x86_64', 'tool-2.0~rc1-1.x86_64'], 'by arch, then name; NEVRA with the epoch only when not 0')
    isError(t, await get(app, '/api/v1/cves/not-a-cve'), 400, 'cve: "not-a-cve" is not a CVE id (CVE-YYYY-NNNN)', 'malformed CVE')
    isError(t, await get(app, '/api/v1/cves/CVE-1999-0001'), 404, 'no advisory fixes CVE-1999-0001', 'unknown CVE')
  })

  t.test('package lookup: by binary or source name, fixed packages of that name only', async (t) => {
    for (const name of ['kernel', 'tool', 'foo', 'libfoo', 'gone', 'zlib']) {
      const res = await get(app, `/api/v1/packages/${name}`)
      t.equal(res.statusCode, 200, name)
      t.strictSame(res.json(), {
        name,
        html_url: `http://localhost/packages/${name}`,
        advisories: expectedWithFixes(dbPath, 'WHERE a.pk IN (SELECT advisory_pk FROM advisory_package WHERE name = ? OR src_name = ?)', name, name, name)
      }, name)
    }
    const foo = (await get(app, '/api/v1/packages/foo')).json() as { advisories: Array<{ fixed: unknown[] }> }
    t.strictSame(foo.advisories[0]?.fixed, [
      { nevra: 'libfoo-1.5-2.i686', name: 'libfoo', evr: '1.5-2', arch: 'i686' },
      { nevra: 'libfoo-1.5-2.x86_64', name: 'libfoo', evr: '1.5-2', arch: 'x86_64' }
    ], 'the source name finds the binary packages built from it, and nothing else of the advisory')
    const zlib = (await get(app, '/api/v1/packages/zlib')).json() as { advisories: Array<{ product: string, api_url: string }> }
    t.strictSame(zlib.advisories.map((a) => a.api_url), ['http://localhost/api/v1/products/lab/advisories/ALAS2-2018-939.json'])
    t.equal(((await get(app, '/api/v1/packages/gone')).json() as { advisories: Array<{ withdrawn: boolean }> }).advisories[0]?.withdrawn, true)
    isError(t, await get(app, '/api/v1/packages/no-such-package'), 404, 'no advisory touches a package called "no-such-package"', 'unknown package')
  })

  t.test('products: each with its repos and their last ingest', async (t) => {
    const res = await get(app, '/api/v1/products')
    t.equal(res.statusCode, 200)
    t.strictSame(res.json(), { products: expectedProducts(dbPath) })
    const lab = (res.json() as { products: Array<{ id: string, advisories: number, withdrawn: number, repos: Array<{ status: string }> }> }).products.find((p) => p.id === 'lab')
    t.equal(lab?.advisories, 4)
    t.equal(lab?.withdrawn, 1)
    t.equal(lab?.repos[0]?.status, 'ok')
  })

  t.test('POST /api/v1/query: each verdict by rpm\'s rules', async (t) => {
    const fix = (id: string, fixed: string, fixedEvr: string, severity: string | null = 'critical', type = 'security'): Record<string, unknown> =>
      ({ id, severity, type, fixed, fixed_evr: fixedEvr, html_url: htmlUrl('lab', id), api_url: apiUrl('lab', id) })
    const lab = (fixed: string, evr: string): Record<string, unknown> => fix(lab1, fixed, evr)
    // [line as rpm -qa (or yum) prints it, installed as the API echoes it, applicable advisories, why]. Each
    // line is its own server: several versions of one name and arch in one request count as the newest only.
    const cases: Array<[string, string, Array<Record<string, unknown>>, string]> = [
      ['epo-1.9-1.x86_64', 'epo-1.9-1.x86_64', [lab('epo-1:2.0-1.x86_64', '1:2.0-1')], 'no epoch given: compared as the fix\'s epoch 1, older than 1:2.0'],
      ['epo-2.0-1.x86_64', 'epo-2.0-1.x86_64', [], 'no epoch given: compared as 1:2.0-1, the fix itself'],
      ['epo-0:1.9-1.x86_64', 'epo-1.9-1.x86_64', [lab('epo-1:2.0-1.x86_64', '1:2.0-1')], 'epoch 0 stated, older than 1:2.0'],
      ['epo-0:3.0-1.x86_64', 'epo-3.0-1.x86_64', [lab('epo-1:2.0-1.x86_64', '1:2.0-1')], 'epoch 0 stated: 0:3.0 is older than 1:2.0'],
      ['epo-1:2.0-1.x86_64', 'epo-1:2.0-1.x86_64', [], 'the same EVR is not affected'],
      ['epo-1:2.0-0.9.x86_64', 'epo-1:2.0-0.9.x86_64', [lab('epo-1:2.0-1.x86_64', '1:2.0-1')], 'an older release'],
      ['plain-1:2.0-1.x86_64', 'plain-1:2.0-1.x86_64', [], 'epoch 1 beats a fix at epoch 0'],
      ['plain-2.0-1.x86_64', 'plain-2.0-1.x86_64', [lab('plain-3.0-1.x86_64', '3.0-1')], 'older version'],
      ['1:epo-1.9-1.x86_64', 'epo-1:1.9-1.x86_64', [lab('epo-1:2.0-1.x86_64', '1:2.0-1')], 'yum\'s epoch:name form'],
      ['epo-(none):2.0-1.x86_64', 'epo-2.0-1.x86_64', [lab('epo-1:2.0-1.x86_64', '1:2.0-1')], '(none) is epoch 0'],
      ['tool-2.0~beta-1.x86_64', 'tool-2.0~beta-1.x86_64', [lab('tool-2.0~rc1-1.x86_64', '2.0~rc1-1')], '~beta < ~rc1'],
      ['tool-2.0-1.x86_64', 'tool-2.0-1.x86_64', [], '2.0 > 2.0~rc1'],
      ['tool-2.0~rc1-1.x86_64', 'tool-2.0~rc1-1.x86_64', [], 'same EVR'],
      ['tool-1.0-1.i686', 'tool-1.0-1.i686', [], 'only x86_64 is fixed'],
      ['tool-1.0-1.src', 'tool-1.0-1.src', [], 'source packages are not installed packages'],
      ['snap-1.0-1.x86_64', 'snap-1.0-1.x86_64', [lab('snap-1.0^git5-1.x86_64', '1.0^git5-1')], '1.0 < 1.0^git5'],
      ['snap-1.0^git4-1.x86_64', 'snap-1.0^git4-1.x86_64', [lab('snap-1.0^git5-1.x86_64', '1.0^git5-1')], '^git4 < ^git5'],
      ['snap-1.0.1-1.x86_64', 'snap-1.0.1-1.x86_64', [], '1.0^git5 < 1.0.1'],
      ['docs-2.0-1.aarch64', 'docs-2.0-1.aarch64', [], 'a noarch fix is offered to the noarch package only, as dnf does'],
      ['docs-2.0-1.noarch', 'docs-2.0-1.noarch', [lab('docs-3.0-1.noarch', '3.0-1')], 'noarch to noarch'],
      ['libfoo-1.0-1.i686', 'libfoo-1.0-1.i686', [lab('libfoo-1.5-2.i686', '1.5-2')], 'the i686 build for i686'],
      ['libfoo-1.0-1.x86_64', 'libfoo-1.0-1.x86_64', [lab('libfoo-1.5-2.x86_64', '1.5-2')], 'the x86_64 build for x86_64'],
      ['libfoo-1.0-1.aarch64', 'libfoo-1.0-1.aarch64', [], 'no aarch64 build'],
      ['gone-1.0-1.x86_64', 'gone-1.0-1.x86_64', [], 'a withdrawn advisory never applies'],
      ['zlib-0.9-1.noarch', 'zlib-0.9-1.noarch', [fix('ALAS2-2018-939', 'zlib-1-1.noarch', '1-1', null, 'enhancement')], 'the lab\'s own ALAS2-2018-939'],
      ['kernel-1.0-1.x86_64', 'kernel-1.0-1.x86_64', [], 'fixed in other products only']
    ]
    for (const [line, installed, advisories, why] of cases) {
      const res = await postText(app, `${line}\n`)
      t.equal(res.statusCode, 200, line)
      const body = res.json() as { checked: number, affected: number, results: Array<{ installed: string, epoch_assumed: boolean, advisories: unknown[] }> }
      t.equal(body.checked, 1, `${line}: read`)
      t.strictSame(body.results, advisories.length === 0 ? [] : [{ installed, epoch_assumed: !/-(\d+|\(none\)):|^\d+:/.test(line), advisories }], `${line}: ${why}`)
    }

    const bad: Array<[string, RegExp]> = [
      ['gpg-pubkey-f4a80eb5-53a7ff4b', /^no architecture at the end \(rpm -qa prints name-version-release\.arch, for example [^)]*\)$/],
      ['two words', /^contains spaces/],
      ['tool-1.0-1', /^no architecture at the end .*: "0-1" is not one$/],
      ['tool-x:1.0-1.x86_64', /^"x" is not an epoch/]
    ]
    // Line numbers count blank lines and comments, which are skipped.
    const lines = ['# rpm -qa', 'plain-2.0-1.x86_64', '', ...bad.map((b) => b[0])]
    const res = await postText(app, lines.join('\n') + '\n')
    t.equal(res.statusCode, 200)
    t.equal(res.headers['cache-control'], 'no-store')
    const body = res.json() as { checked: number, unparsed: Array<{ index: number, input: string, reason: string }> }
    t.equal(body.checked, 1)
    t.strictSame(body.unparsed.map((u) => ({ index: u.index, input: u.input })), bad.map(([input]) => ({ index: lines.indexOf(input) + 1, input })), 'every unreadable line with its line number')
    bad.forEach(([input, reason], i) => t.match(body.unparsed[i]?.reason, reason, `reason for ${input}`))

    const crlf = (await postText(app, 'plain-2.0-1.x86_64\r\nnot a package\r\n')).json() as { checked: number, unparsed: Array<{ index: number, input: string }> }
    t.equal(crlf.checked, 1, 'CRLF line ends are read')
    t.match(crlf.unparsed, [{ index: 2, input: 'not a package' }])
  })

  t.test('POST /api/v1/query: several versions of a name and arch installed count as the newest (as dnf)', async (t) => {
    const answer = async (lines: string[]): Promise<Array<{ installed: string, advisories: Array<{ fixed: string }> }>> =>
      ((await postText(app, lines.join('\n'))).json() as { results: Array<{ installed: string, advisories: Array<{ fixed: string }> }> }).results
    t.strictSame(await answer(['plain-2.0-1.x86_64', 'plain-3.0-1.x86_64']), [], 'the fixed build is installed beside the old one: nothing applies')
    t.strictSame((await answer(['plain-2.0-1.x86_64', 'plain-2.5-1.x86_64'])).map((r) => r.installed), ['plain-2.5-1.x86_64'], 'both older: the newest is listed')
    t.strictSame((await answer(['libfoo-1.0-1.i686', 'libfoo-1.5-2.x86_64'])).map((r) => r.installed), ['libfoo-1.0-1.i686'], 'multilib: each arch on its own')
    t.strictSame(await answer(['epo-1:1.0-1.x86_64', 'epo-2:0.5-1.x86_64']), [], 'the newest by epoch')
  })

  t.test('POST /api/v1/query: JSON strings and objects, indexes from 0', async (t) => {
    const res = await postJson(app, {
      product: 'lab',
      packages: [
        'plain-2.0-1.x86_64',
        { name: 'epo', epoch: 1, version: '1.9', release: '1', arch: 'x86_64' },
        { name: 'libfoo', epoch: null, version: '1.0', release: '1', arch: 'i686' },
        { name: 'snap', version: '1.0', release: '1', arch: 'x86_64' },
        'not a package',
        { name: 'tool', epoch: 'x', version: '1.0', release: '1', arch: 'x86_64' }
      ]
    })
    t.equal(res.statusCode, 200)
    const applied = (fixed: string, evr: string): Record<string, unknown> => ({ id: lab1, severity: 'critical', type: 'security', fixed, fixed_evr: evr, html_url: lab1Html, api_url: lab1Api })
    t.strictSame(res.json(), {
      product: 'lab',
      checked: 4,
      affected: 4,
      advisories: 1,
      severities: { critical: 1 },
      epochs_assumed: 2,
      note: epochNote(2),
      results: [
        { installed: 'plain-2.0-1.x86_64', epoch_assumed: true, advisories: [applied('plain-3.0-1.x86_64', '3.0-1')] },
        { installed: 'epo-1:1.9-1.x86_64', epoch_assumed: false, advisories: [applied('epo-1:2.0-1.x86_64', '1:2.0-1')] },
        { installed: 'libfoo-1.0-1.i686', epoch_assumed: false, advisories: [applied('libfoo-1.5-2.i686', '1.5-2')] },
        { installed: 'snap-1.0-1.x86_64', epoch_assumed: true, advisories: [applied('snap-1.0^git5-1.x86_64', '1.0^git5-1')] }
      ],
      unparsed: [
        { index: 4, input: 'not a package', reason: 'contains spaces: give one package per line, as rpm -qa prints them' },
        { index: 5, input: JSON.stringify({ name: 'tool', epoch: 'x', version: '1.0', release: '1', arch: 'x86_64' }), reason: '"epoch" must be a whole number' }
      ]
    })
    t.match(epochNote(2), "2 installed packages were given without an epoch (plain rpm -qa never prints it); each was compared as if its epoch were the fixed build's", 'the note says what was assumed')
    t.match(epochNote(2), "rpm -qa --qf '%{NAME}-%{EPOCHNUM}:%{VERSION}-%{RELEASE}.%{ARCH}\\n'", 'and the input that needs no assumption')
    const other = await postJson(app, { product: 'amzn2', packages: ['kernel-4.9.0-1.amzn2.x86_64', 'zlib-0.9-1.noarch'] })
    const answer = other.json() as { results: Array<{ installed: string, advisories: Array<{ id: string, api_url: string }> }> }
    t.strictSame(answer.results.map((r) => r.installed), ['kernel-4.9.0-1.amzn2.x86_64'], 'the product decides: amzn2\'s ALAS2-2018-939 does not fix zlib')
    t.ok(answer.results[0]!.advisories.every((a) => a.api_url.startsWith('http://localhost/api/v1/products/amzn2/advisories/')))
    t.strictSame(answer.results[0]!.advisories.map((a) => a.id).sort(), readRows<{ id: string }>(dbPath, `SELECT DISTINCT a.id FROM advisory a JOIN advisory_package p
      ON p.advisory_pk = a.pk WHERE a.product_id = 'amzn2' AND p.name = 'kernel' AND p.arch = 'x86_64' ORDER BY a.id`).map((r) => r.id), 'every kernel advisory of amzn2')
  })

  t.test('POST /api/v1/query: a batch of 10,000 lines', async (t) => {
    const lines = Array.from({ length: 10_000 }, (_, i) => (i % 1000 === 0 ? 'tool-1.0-1.x86_64' : `pkg${i}-1.0-${i}.el9.x86_64`))
    const res = await postText(app, lines.join('\n'))
    t.equal(res.statusCode, 200)
    const body = res.json() as { checked: number, affected: number, results: Array<{ installed: string }>, unparsed: unknown[] }
    t.equal(body.checked, 10_000)
    // The ten identical tool lines are one installed package, answered once (issue 11).
    t.equal(body.affected, 1)
    t.strictSame(body.results.map((r) => r.installed), ['tool-1.0-1.x86_64'])
    t.strictSame(body.unparsed, [])
  })

  t.test('POST /api/v1/query: refused requests are JSON errors', async (t) => {
    isError(t, await postJson(app, { product: 'nope', packages: [] }), 400, /^product: unknown product "nope"; known products: al2023, /, 'unknown product')
    isError(t, await postText(app, 'tool-1.0-1.x86_64', 'nope'), 400, /^product: unknown product "nope"/, 'unknown product, text')
    isError(t, await postText(app, 'tool-1.0-1.x86_64', null), 400, 'product: say which product the packages are installed on (?product= for a text/plain body)', 'no ?product= for text')
    isError(t, await postJson(app, { packages: ['tool-1.0-1.x86_64'] }), 400, /product/, 'no product in JSON')
    const xml = await app.inject({ method: 'POST', url: '/api/v1/query', headers: { 'content-type': 'application/xml' }, payload: '<packages/>' })
    isError(t, xml, 415, 'content type "application/xml" is not accepted: send application/json or text/plain', 'XML body')
    const huge = `{"product":"lab","packages":["${'a'.repeat(8 * 1024 * 1024)}"]}`
    isError(t, await app.inject({ method: 'POST', url: '/api/v1/query', headers: { 'content-type': 'application/json' }, payload: huge }), 413,
      'the request body is larger than this endpoint accepts (8 MB)', 'a body over 8 MB')
    const many = Array.from({ length: 50_001 }, (_, i) => `p${i}-1-1.x86_64`)
    isError(t, await postText(app, many.join('\n')), 400, 'packages: at most 50000 per request, got 50001', '50,001 lines')
    isError(t, await postJson(app, { product: 'lab', packages: many }), 400, /packages/, '50,001 JSON entries')
    t.equal((await postText(app, many.slice(0, 50_000).join('\n'))).statusCode, 200, '50,000 is allowed')
  })

  t.test('POST /api/v1/query is rate limited per client; GETs are not', async (t) => {
    const limited = await makeApp(t, { dbPath, queryLimits: { ...defaultQueryLimits, rateLimit: { max: 2, windowMs: 60_000 } } }, ctx.seen)
    for (let i = 1; i <= 2; i++) t.equal((await postText(limited, 'tool-1.0-1.x86_64')).statusCode, 200, `query ${i}`)
    const third = await postText(limited, 'tool-1.0-1.x86_64')
    isError(t, third, 429, /^rate limit: at most 2 queries per .+; retry after \d+ s$/, 'the third query')
    t.match(third.headers['retry-after'], /^\d+$/, 'retry-after in seconds')
    t.ok(Number(third.headers['retry-after']) > 0 && Number(third.headers['retry-after']) <= 60)
    t.equal((await get(limited, '/api/v1/products')).statusCode, 200, 'GETs are not counted')
  })

  t.test('GETs: ETag (the MD5 of the body) and Last-Modified (from the data), 304, CORS for any origin, gzip', async (t) => {
    for (const url of ['/api/v1/advisories', `/api/v1/advisories/${encodeURIComponent(lab1)}?product=lab`, '/api/v1/cves/CVE-2017-5715', '/api/v1/packages/kernel', '/api/v1/products']) {
      const first = await get(app, url)
      const etag = first.headers.etag as string
      t.equal(etag, `"${createHash('md5').update(first.rawPayload).digest('hex')}"`, `${url}: ETag`)
      t.ok(!Number.isNaN(Date.parse(first.headers['last-modified'] as string)), `${url}: Last-Modified`)
      const again = await get(app, url, { 'if-none-match': etag })
      t.equal(again.statusCode, 304, `${url}: 304 with If-None-Match`)
      t.equal(again.body, '', `${url}: no body`)
      t.equal((await get(app, url, { 'if-modified-since': first.headers['last-modified'] as string })).statusCode, 304, `${url}: 304 with If-Modified-Since`)
      t.equal((await get(app, url, { 'if-none-match': '"other"' })).statusCode, 200, `${url}: another ETag gets the body`)
      const cors = await get(app, url, { origin: 'https://elsewhere.example' })
      t.equal(cors.headers['access-control-allow-origin'], '*', `${url}: CORS`)
    }
    const preflight = await app.inject({ method: 'OPTIONS', url: '/api/v1/query', headers: { origin: 'https://elsewhere.example', 'access-control-request-method': 'POST' } })
    t.notMatch(String(preflight.headers['access-control-allow-methods']), /POST/, 'browsers on other origins may not POST')
    const plain = await get(app, '/api/v1/advisories?limit=1000', { 'accept-encoding': 'identity' })
    t.equal(plain.headers['content-encoding'], undefined)
    const gz = await get(app, '/api/v1/advisories?limit=1000', { 'accept-encoding': 'gzip' })
    t.equal(gz.headers['content-encoding'], 'gzip')
    t.strictSame(JSON.parse(gunzipSync(gz.rawPayload).toString('utf8')), plain.json(), 'the same JSON, compressed')
  })

  t.test('absolute URLs use PUBLIC_URL when configured', async (t) => {
    const pub = await makeApp(t, { dbPath, publicUrl: 'https://security.example.com' }, ctx.seen)
    const body = (await get(pub, `/api/v1/advisories?product=lab&q=${encodeURIComponent('epo')}`)).json() as { items: Array<{ html_url: string, api_url: string }> }
    t.strictSame(body.items.map((i) => [i.html_url, i.api_url]), [['https://security.example.com/lab/LAB-2024%3A0001', 'https://security.example.com/api/v1/products/lab/advisories/LAB-2024%3A0001.json']])
  })

  t.test('/healthz and /readyz after an ingest', async (t) => {
    const health = await get(app, '/healthz')
    t.equal(health.statusCode, 200)
    t.strictSame(health.json(), {
      status: 'ok',
      advisories: 33,
      data_generation: Number(readRows<{ value: string }>(dbPath, "SELECT value FROM meta WHERE key = 'data_generation'")[0]!.value)
    })
    const ready = await get(app, '/readyz')
    t.equal(ready.statusCode, 200)
    const body = ready.json() as Record<string, unknown>
    t.strictSame({ ...body, last_ingest_age_seconds: typeof body.last_ingest_age_seconds }, {
      status: 'ready',
      schema_version: latestVersion(),
      last_ingest_at: readRows<{ v: string }>(dbPath, 'SELECT max(last_success_at) AS v FROM repo')[0]!.v,
      last_ingest_age_seconds: 'number',
      failed_repos: 0,
      message: 'ok'
    })
  })

  // The tests below change the data.

  t.test('keyset paging: an ingest between two pages neither repeats nor skips; updated_after polls', async (t) => {
    const before = sqlKeys(dbPath, '')
    const newest = readRows<{ v: string }>(dbPath, 'SELECT max(coalesce(updated, issued)) AS v FROM advisory')[0]!.v
    const page1 = (await get(app, '/api/v1/advisories?limit=7')).json() as { items: Array<{ product: string, id: string }>, next_cursor: string }
    t.strictSame(keysOf(page1.items), before.slice(0, 7))

    const newer = `<update status="final" type="security" version="1"><id>LAB-2030:0001</id><title>from the future</title>
      <issued date="2030-01-01 00:00:00"/><updated date="2030-01-02 00:00:00"/><severity>Moderate</severity>
      <pkglist><collection short="lab-4"><package name="tool" version="3.0" release="1" arch="x86_64"/></collection></pkglist></update>`
    writeRepo(ctx.labRoot, labXml({ extra: newer }))
    t.equal((await runIngest({ dbPath, repos: [ctx.lab] })).repos[0]?.added, 1)

    const page2 = (await get(app, `/api/v1/advisories?limit=7&cursor=${encodeURIComponent(page1.next_cursor)}`)).json() as { items: Array<{ product: string, id: string }> }
    t.strictSame(keysOf(page2.items), before.slice(7, 14), 'page 2 continues exactly where page 1 ended')
    const fresh = (await get(app, '/api/v1/advisories?limit=7')).json() as { items: Array<{ id: string }> }
    t.equal(fresh.items[0]?.id, 'LAB-2030:0001', 'a new first page shows the new advisory (no stale cache)')

    const poll = (await get(app, `/api/v1/advisories?updated_after=${newest}`)).json() as { items: Array<{ id: string }>, next_cursor: null }
    t.strictSame(poll.items.map((i) => i.id), ['LAB-2030:0001'], 'polling with the newest date seen returns only the later advisory')
    t.strictSame(((await get(app, '/api/v1/advisories?updated_after=2030-01-02T00:00:00Z')).json() as { items: unknown[] }).items, [], 'nothing after the newest')
    type Matched = { results: Array<{ advisories: Array<{ id: string, fixed_evr: string }> }> }
    const matched = (await postText(app, 'tool-2.5-1.x86_64')).json() as Matched
    t.strictSame(matched.results[0]?.advisories.map((a) => a.id), ['LAB-2030:0001'], 'the query sees the new data too')
    const older = (await postText(app, 'tool-1.0-1.x86_64')).json() as Matched
    t.strictSame(older.results[0]?.advisories.map((a) => [a.id, a.fixed_evr]), [['LAB-2030:0001', '3.0-1'], [lab1, '2.0~rc1-1']], 'every applicable advisory, the newest fix first')
  })

  t.test('products: a failed repo shows its status and error; its advisories are still served', async (t) => {
    const before = await get(app, '/api/v1/products')
    const lastSuccess = (before.json() as { products: Array<{ id: string, repos: Array<{ last_success_at: string }> }> }).products.find((p) => p.id === 'lab')?.repos[0]?.last_success_at
    writeRepo(ctx.labRoot, '<updates><update')
    const run = await runIngest({ dbPath, repos: [ctx.lab] })
    t.equal(run.repos[0]?.status, 'failed')
    const res = await get(app, '/api/v1/products', { 'if-none-match': before.headers.etag as string })
    t.equal(res.statusCode, 200, 'the failed run changes the answer')
    t.strictSame(res.json(), { products: expectedProducts(dbPath) })
    const repo = (res.json() as { products: Array<{ id: string, repos: Array<Record<string, unknown>> }> }).products.find((p) => p.id === 'lab')?.repos[0]
    t.equal(repo?.status, 'failed')
    t.match(repo?.error, /XML/)
    t.equal(repo?.last_success_at, lastSuccess, 'the last success is kept')
    t.equal(((await get(app, '/api/v1/advisories?product=lab')).json() as { items: unknown[] }).items.length, 5, 'what was read before is still served')
    const ready = (await get(app, '/readyz')).json() as { status: string, failed_repos: number, message: string }
    t.strictSame([ready.status, ready.failed_repos, ready.message], ['ready', 1, '1 repos failed their last ingest (see /products)'])
  })

  t.test('OpenAPI: every route is described; API operations document their answers', async (t) => {
    const res = await get(app, '/openapi.json')
    t.equal(res.statusCode, 200)
    const doc = res.json() as { openapi: string, paths: Record<string, Record<string, { responses?: Record<string, { content?: Record<string, { schema?: unknown }> }> }>> }
    t.equal(doc.openapi, '3.1.0')
    const wanted = ['/api/v1/advisories', '/api/v1/advisories/{id}', '/api/v1/advisories/{id}/osv', '/api/v1/cves/{cve}', '/api/v1/packages/{name}', '/api/v1/products',
      '/api/v1/query', '/api/v1/osv/all.ndjson', '/healthz', '/readyz',
      // The path-only forms (test/api-paths.test.ts)
      '/api/v1/products/{product}/advisories/{id}.json', '/api/v1/products/{product}/advisories/{id}.osv.json',
      '/api/v1/products/{product}/advisories/page/{n}.json', '/api/v1/osv/{product}/all.ndjson',
      // The statistics (test/stats.test.ts)
      '/api/v1/stats', '/api/v1/stats.csv']
    t.strictSame(Object.keys(doc.paths).sort(), [...wanted].sort(), 'the API operations, and nothing else, are described')
    // Pages, feeds, /check, /docs/api and /openapi.json are for browsers and feed readers: deliberately left out
    // of the description (a client generator would make methods for HTML). Every other route is described.
    const api = (path: string): boolean => path.startsWith('/api/') || path === '/healthz' || path === '/readyz'
    for (const path of routesOf(app)) t.equal(path in doc.paths, api(path), `router path ${path} is ${api(path) ? '' : 'not '}described`)

    for (const [path, methods] of Object.entries(doc.paths)) {
      if (!path.startsWith('/api/')) continue
      for (const [method, op] of Object.entries(methods)) {
        const ok = op.responses?.['200']?.content
        t.ok(ok !== undefined && Object.values(ok).some((c) => c.schema !== undefined), `${method.toUpperCase()} ${path}: 200 has a schema`)
        // Every 4xx this test file made the route answer must be documented.
        const observed = [...(ctx.seen.get(`${method.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`) ?? [])].filter((s) => s >= 400 && s < 500).sort()
        const documented = Object.keys(op.responses ?? {}).map(Number).filter((s) => s >= 400 && s < 500)
        for (const status of observed) t.ok(documented.includes(status), `${method.toUpperCase()} ${path}: ${status} is documented`)
      }
    }
    for (const route of ['GET /api/v1/advisories', 'GET /api/v1/advisories/:id', 'GET /api/v1/advisories/:id/osv', 'GET /api/v1/cves/:cve', 'GET /api/v1/packages/:name', 'GET /api/v1/products', 'POST /api/v1/query']) {
      t.ok(ctx.seen.has(route), `${route} was exercised`)
    }

    const docs = await get(app, '/docs/api')
    t.equal(docs.statusCode, 200)
    t.match(docs.headers['content-type'], /^text\/html/)
    t.match(docs.body, '/api/v1/query')
  })
})

t.test('/readyz is 503 on a database that was migrated but never ingested', async (t) => {
  const dbPath = join(tempDir(t), 'empty.sqlite')
  const db = openDatabase(dbPath)
  migrate(db)
  db.close()
  const app = await makeApp(t, { dbPath }, new Map())
  const ready = await get(app, '/readyz')
  t.equal(ready.statusCode, 503)
  t.strictSame(ready.json(), {
    status: 'not ready',
    schema_version: latestVersion(),
    last_ingest_at: null,
    last_ingest_age_seconds: null,
    failed_repos: 0,
    message: 'no ingest has succeeded yet: run "npm run ingest"'
  })
  t.strictSame((await get(app, '/healthz')).json(), { status: 'ok', advisories: 0, data_generation: 0 }, 'the process is up all the same')
})

// ---------------------------------------------------------------------------------------------------------

/** /api/v1/products as the database says it should be. */
function expectedProducts (dbPath: string): unknown[] {
  const products = readRows<{ id: string, name: string, advisories: number, withdrawn: number, signing_key: unknown }>(dbPath, `SELECT p.id, p.name,
    (SELECT count(*) FROM advisory a WHERE a.product_id = p.id) AS advisories,
    (SELECT count(*) FROM advisory a WHERE a.product_id = p.id AND a.withdrawn = 1) AS withdrawn,
    p.package_manager, p.source_repo,
    (SELECT json_object('fingerprint', k.fingerprint, 'user_id', k.user_id, 'created', k.created, 'import_url', k.import_url,
      'last_run_at', k.last_run_at, 'status', k.last_status, 'error', k.last_error) FROM signing_key k WHERE k.product_id = p.id) AS signing_key
    FROM product p ORDER BY p.id`).map((p) => ({ ...p, signing_key: p.signing_key === null ? null : JSON.parse(p.signing_key as string) as unknown }))
  const repos = readRows<{ product_id: string, name: string | null, url: string, last_run_at: string | null, last_success_at: string | null, status: string | null, error: string | null }>(dbPath,
    'SELECT product_id, name, url, last_run_at, last_success_at, last_status AS status, last_error AS error FROM repo ORDER BY product_id, name, url')
  return products.map((p) => ({ ...p, repos: repos.filter((r) => r.product_id === p.id).map(({ product_id: _p, ...r }) => r) }))
}

/** The router's paths (from printRoutes), in OpenAPI form; wildcard and merged-parameter nodes are left out. */
function routesOf (app: FastifyInstance): string[] {
  const stack: string[] = []
  const paths: string[] = []
  for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
    const m = /^([│ ├└─]*)(\S+) \(([A-Z, ]+)\)$/.exec(line)
    if (m === null) continue
    stack.length = m[1]!.length / 4 - 1 // each level indents by four characters
    stack.push(m[2]!)
    const path = stack.join('')
    if (!/[*|]/.test(path) && /GET|POST/.test(m[3]!)) paths.push(path.replace(/:(\w+)/g, '{$1}'))
  }
  return paths
}
