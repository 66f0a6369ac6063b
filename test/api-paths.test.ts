// The API's path-only URLs, which a static copy of the portal holds (it answers no query strings): each answers
// the bytes of its query-string form, the numbered list pages walk every advisory of a product once in the list
// API's order, api_url links resolve, unknown products, advisories and pages are 404, and every document
// matches its response schema with no field beyond it.
import t, { type Test } from 'tap'
import { join } from 'node:path'
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import type { RepoSpec } from '../ingest/config.js'
import { OsvRecord } from '../server/api/osv-schema.js'
import { AdvisoryBody, AdvisoryPage, ErrorBody } from '../server/api/schemas.js'
import { readRows } from './helpers/db.js'
import { closedValidator } from './helpers/schema.js'
import { writeRepo } from './helpers/repo-builder.js'
import { demoRepos, ingestOk, testApp, testDb } from './helpers/test-app.js'
import { updateinfoText } from './helpers/updateinfo-generator.js'

// CommonJS under NodeNext: the default import is module.exports, whose .default is the class (the function) itself.

const enc = encodeURIComponent
const perPage = 1000

// ---------------------------------------------------------------------------------------------------------
// Products beside the demo's: "big" spans three pages with every issued date shared by two advisories (so ties
// sit on page boundaries), "empty" has no advisory, "odd" has ids that need percent-encoding or look like routes.

/** Two generated sets over the same dates: BIGA-* and BIGB-* tie pairwise; BIGA's newest stands alone. */
function bigXml (): string {
  const a = updateinfoText({ advisories: 1101, packagesPerAdvisory: 2, idPrefix: 'BIGA' })
  const b = updateinfoText({ advisories: 1100, packagesPerAdvisory: 2, idPrefix: 'BIGB' })
  const open = '<updates>\n'
  return a.replace('</updates>\n', '') + b.slice(b.indexOf(open) + open.length)
}

const oddIds = ['LAB/2023 "odd"', 'LAB-2024:0001', 'a.b', 'ünï-1', 'q?x#y&z=1', '100%', 'page', 'ALAS2-2018-939']
const oddXml = `<?xml version="1.0" encoding="UTF-8"?>
<updates>
${oddIds.map((id, i) => `  <update status="final" type="security" version="1">
    <id>${id.replace(/&/g, '&amp;').replace(/"/g, '&quot;')}</id>
    <title>odd id ${i}</title>
    <issued date="2024-0${1 + (i % 3)}-01 00:00:00"/>
    <severity>Low</severity>
    <pkglist><collection short="odd"><package name="odd${i}" version="1.0" release="1" arch="x86_64" src="odd${i}-1.0-1.src.rpm"/></collection></pkglist>
  </update>`).join('\n')}
</updates>`

function lab (dir: string, productId: string, xml: string): RepoSpec {
  const root = join(dir, productId)
  writeRepo(root, xml)
  return { productId, productName: `Lab ${productId}`, url: root, kind: 'baseurl', baseurls: [root], name: `${productId} x86_64`, allowedHosts: [] }
}

interface Ctx { dbPath: string, app: FastifyInstance, products: string[] }

async function setup (t: Test): Promise<Ctx> {
  const { dir, dbPath } = testDb(t)
  await ingestOk(t, dbPath, [...demoRepos(), lab(dir, 'big', bigXml()), lab(dir, 'empty', '<?xml version="1.0" encoding="UTF-8"?>\n<updates>\n</updates>\n'), lab(dir, 'odd', oddXml)])
  const app = await testApp(t, { dbPath })
  const products = readRows<{ id: string }>(dbPath, 'SELECT id FROM product ORDER BY id').map((r) => r.id)
  return { dbPath, app, products }
}

// ---------------------------------------------------------------------------------------------------------
// Independent expectations.

interface Key { product_id: string, id: string }

/** The list API's order (db/advisory-query.ts), written out again. */
const listOrder = "coalesce(issued, '') DESC, id DESC, product_id DESC"

const advisoriesOf = (dbPath: string, product: string): Key[] =>
  readRows<Key>(dbPath, `SELECT product_id, id FROM advisory WHERE product_id = ? ORDER BY ${listOrder}`, product)

const detailPath = (product: string, id: string): string => `/api/v1/products/${enc(product)}/advisories/${enc(id)}.json`
const osvPath = (product: string, id: string): string => `/api/v1/products/${enc(product)}/advisories/${enc(id)}.osv.json`
const pagePath = (product: string, n: number): string => `/api/v1/products/${enc(product)}/advisories/page/${n}.json`

const valid = {
  advisory: closedValidator(AdvisoryBody),
  osv: closedValidator(OsvRecord),
  page: closedValidator(AdvisoryPage),
  error: closedValidator(ErrorBody)
}

interface Summary { id: string, product: string, api_url: string, [key: string]: unknown }
interface PageDoc { items: Summary[], page: number, pages: number, next: string | null, prev: string | null }

/** The same answer: status, type, validators and bytes. */
function sameAnswer (t: Test, path: LightMyRequestResponse, query: LightMyRequestResponse, what: string): void {
  t.equal(path.statusCode, query.statusCode, `${what}: status`)
  t.equal(path.headers['content-type'], query.headers['content-type'], `${what}: content type`)
  t.equal(path.headers.etag, query.headers.etag, `${what}: ETag`)
  t.equal(path.headers['last-modified'], query.headers['last-modified'], `${what}: Last-Modified`)
  t.ok(path.rawPayload.equals(query.rawPayload), `${what}: the same bytes`)
}

function isError (t: Test, res: LightMyRequestResponse, status: number, message: string, what: string): void {
  t.equal(res.statusCode, status, `${what}: ${status}`)
  t.match(res.headers['content-type'], /^application\/json/, `${what}: JSON`)
  t.equal(valid.error(res.json()), null, `${what}: an ErrorBody`)
  t.strictSame(res.json(), { error: status === 404 ? 'Not Found' : 'Bad Request', message }, `${what}: the message`)
}

/** Walks a product's pages from page 1 by `next`, checking each page's own numbers and links. */
async function walk (t: Test, app: FastifyInstance, product: string): Promise<PageDoc[]> {
  const docs: PageDoc[] = []
  let next: string | null = pagePath(product, 1)
  while (next !== null) {
    const res: LightMyRequestResponse = await app.inject(next)
    t.equal(res.statusCode, 200, `${next}: 200`)
    const doc = res.json() as PageDoc
    t.equal(valid.page(doc), null, `${next}: an AdvisoryPage`)
    const n = docs.length + 1
    t.equal(doc.page, n, `${next}: page ${n}`)
    t.equal(doc.prev, n === 1 ? null : pagePath(product, n - 1), `${next}: prev`)
    docs.push(doc)
    if (docs.length > 100) throw new Error(`${product}: the pages do not end`)
    next = doc.next
    if (next !== null) t.equal(next, pagePath(product, n + 1), `${product} page ${n}: next is the path of page ${n + 1}`)
  }
  return docs
}

// ---------------------------------------------------------------------------------------------------------

t.test('path-only API URLs', async (t) => {
  const { dbPath, app, products } = await setup(t)
  t.strictSame(products, ['al2023', 'alma9', 'amzn2', 'big', 'bottlerocket', 'empty', 'fedora43', 'odd', 'opensuse11', 'rocky8'])

  t.test('one advisory and its OSV record: the path form answers the query form\'s bytes, for every advisory', async (t) => {
    const rows = readRows<Key>(dbPath, "SELECT product_id, id FROM advisory WHERE product_id != 'big' ORDER BY product_id, id")
    t.equal(rows.filter((r) => r.product_id === 'odd').length, oddIds.length, 'every odd id was ingested as it is')
    t.ok(rows.length > oddIds.length + 20, `the demo's advisories too (${rows.length})`)
    for (const { product_id: product, id } of rows) {
      const key = `${product}/${id}`
      const detail = await app.inject(detailPath(product, id))
      sameAnswer(t, detail, await app.inject(`/api/v1/advisories/${enc(id)}?product=${enc(product)}`), `${key} detail`)
      t.equal(valid.advisory(detail.json()), null, `${key}: an AdvisoryBody`)
      t.match(detail.json(), { id, product }, `${key}: that advisory`)
      const osv = await app.inject(osvPath(product, id))
      sameAnswer(t, osv, await app.inject(`/api/v1/advisories/${enc(id)}/osv?product=${enc(product)}`), `${key} OSV`)
      t.equal(valid.osv(osv.json()), null, `${key}: an OsvRecord`)
      t.match(osv.json(), { id: `LLSC-${product}-${id}`, database_specific: { product, advisory_id: id } }, `${key}: its OSV record`)
    }
    const shared = await app.inject('/api/v1/advisories/ALAS2-2018-939')
    t.equal(shared.statusCode, 409, 'ALAS2-2018-939 is in two products: the id alone is ambiguous')
    t.not((await app.inject(detailPath('odd', 'ALAS2-2018-939'))).body, (await app.inject(detailPath('amzn2', 'ALAS2-2018-939'))).body, 'the path names the product')
  })

  t.test('numbered list pages: every advisory of each product once, in the list API\'s order, 1000 a page', async (t) => {
    for (const product of products) {
      const docs = await walk(t, app, product)
      const expected = advisoriesOf(dbPath, product)
      const pages = Math.max(1, Math.ceil(expected.length / perPage))
      t.equal(docs.length, pages, `${product}: ${pages} page(s) for ${expected.length} advisories`)
      t.ok(docs.every((d) => d.pages === pages), `${product}: every page says ${pages} pages`)
      t.ok(docs.slice(0, -1).every((d) => d.items.length === perPage), `${product}: every page but the last is full`)
      const items = docs.flatMap((d) => d.items)
      t.strictSame(items.map((i) => `${i.product}/${i.id}`), expected.map((r) => `${r.product_id}/${r.id}`), `${product}: each advisory exactly once, newest first`)
      // The summaries are the list API's own: walk it with its cursor and compare.
      const listed: Summary[] = []
      let cursor: string | null = ''
      while (cursor !== null) {
        const body = (await app.inject(`/api/v1/advisories?product=${enc(product)}&limit=${perPage}${cursor === '' ? '' : `&cursor=${cursor}`}`)).json() as { items: Summary[], next_cursor: string | null }
        listed.push(...body.items)
        cursor = body.next_cursor
      }
      t.strictSame(items, listed, `${product}: the same summaries as GET /api/v1/advisories?product=`)
    }

    const big = await walk(t, app, 'big')
    t.strictSame(big.map((d) => d.items.length), [1000, 1000, 201], 'big: three pages, the last partial')
    const boundary = readRows<{ issued: string }>(dbPath, `SELECT issued FROM advisory WHERE product_id = 'big' ORDER BY ${listOrder} LIMIT 2 OFFSET 999`)
    t.equal(boundary[0]?.issued, boundary[1]?.issued, 'big: the first page boundary falls between two advisories issued at the same time')
    t.strictSame([big[0]!.items.at(-1)!.id.slice(0, 4), big[1]!.items[0]!.id.slice(0, 4)], ['BIGB', 'BIGA'], 'big: the tie is broken by id, descending')
    t.strictSame(await walk(t, app, 'empty'), [{ items: [], page: 1, pages: 1, next: null, prev: null }], 'a product without advisories has one empty page')
  })

  t.test('api_url is the path form and answers the advisory\'s JSON', async (t) => {
    for (const product of products) {
      for (const doc of await walk(t, app, product)) {
        for (const item of doc.items) {
          const key = `${item.product}/${item.id}`
          t.equal(item.api_url, `http://localhost${detailPath(item.product, item.id)}`, `${key}: api_url`)
          const url = new URL(item.api_url)
          t.equal(url.search, '', `${key}: no query string`)
          const res = await app.inject(url.pathname)
          t.equal(res.statusCode, 200, `${key}: api_url answers`)
          t.match(res.json(), { id: item.id, product: item.product, html_url: item.html_url }, `${key}: with the advisory`)
        }
      }
    }
    const odd = (await app.inject('/api/v1/advisories?product=odd')).json() as { items: Summary[] }
    t.equal(odd.items.find((i) => i.id === 'LAB/2023 "odd"')?.api_url, 'http://localhost/api/v1/products/odd/advisories/LAB%2F2023%20%22odd%22.json', 'percent-encoded as before')
    t.equal(odd.items.find((i) => i.id === 'q?x#y&z=1')?.api_url, 'http://localhost/api/v1/products/odd/advisories/q%3Fx%23y%26z%3D1.json')
    const cve = readRows<{ cve: string }>(dbPath, "SELECT cve FROM advisory_cve c JOIN advisory a ON a.pk = c.advisory_pk WHERE a.product_id = 'amzn2' ORDER BY cve LIMIT 1")[0]!.cve
    const lookup = (await app.inject(`/api/v1/cves/${cve}`)).json() as { advisories: Summary[] }
    t.ok(lookup.advisories.length > 0, `${cve} has advisories`)
    for (const a of lookup.advisories) t.equal((await app.inject(new URL(a.api_url).pathname)).statusCode, 200, `${cve}: ${a.product}/${a.id} resolves`)
  })

  t.test('the OSV bundle of a product at a path: the same bytes as ?product=', async (t) => {
    for (const product of products) {
      const path = await app.inject(`/api/v1/osv/${enc(product)}/all.ndjson`)
      t.equal(path.statusCode, 200, `${product}: 200`)
      sameAnswer(t, path, await app.inject(`/api/v1/osv/all.ndjson?product=${enc(product)}`), `${product} bundle`)
      t.match(path.headers['content-type'], /^application\/x-ndjson/)
      const lines = path.body === '' ? [] : path.body.slice(0, -1).split('\n')
      t.equal(lines.length, advisoriesOf(dbPath, product).length, `${product}: one line per advisory`)
      const invalid = lines.map((l) => valid.osv(JSON.parse(l))).filter((e) => e !== null)
      t.strictSame(invalid, [], `${product}: every line an OsvRecord`)
      const fresh = await app.inject({ url: `/api/v1/osv/${enc(product)}/all.ndjson`, headers: { 'if-none-match': String(path.headers.etag) } })
      t.equal(fresh.statusCode, 304, `${product}: a current client gets 304`)
    }
    t.equal((await app.inject('/api/v1/osv/empty/all.ndjson')).body, '', 'a product without advisories: an empty bundle')
  })

  t.test('unknown products, advisories and pages are 404; malformed pages and any query string are 400', async (t) => {
    const known = products.join(', ')
    for (const path of [detailPath('nope', 'ALAS2-2018-939'), osvPath('nope', 'ALAS2-2018-939')]) {
      isError(t, await app.inject(path), 404, 'product "nope" has no advisory "ALAS2-2018-939"', `${path} (unknown product)`)
    }
    isError(t, await app.inject(pagePath('nope', 1)), 404, `no product "nope"; known products: ${known}`, 'page of an unknown product')
    isError(t, await app.inject('/api/v1/osv/nope/all.ndjson'), 404, `no product "nope"; known products: ${known}`, 'bundle of an unknown product')
    const missing = await app.inject(detailPath('amzn2', 'NOPE-1'))
    isError(t, missing, 404, 'product "amzn2" has no advisory "NOPE-1"', 'unknown advisory')
    t.equal(missing.body, (await app.inject('/api/v1/advisories/NOPE-1?product=amzn2')).body, 'the same 404 as the query form')
    isError(t, await app.inject(osvPath('amzn2', 'NOPE-1')), 404, 'product "amzn2" has no advisory "NOPE-1"', 'unknown advisory, OSV')
    isError(t, await app.inject(detailPath('amzn2', 'ALAS2-2018-939').replace('amzn2', 'odd').replace('ALAS2', 'ALAS3')), 404, 'product "odd" has no advisory "ALAS3-2018-939"', 'an id of another product')
    isError(t, await app.inject(pagePath('big', 4)), 404, 'product "big" has 3 pages of advisories; there is no page 4', 'a page past the last')
    isError(t, await app.inject(pagePath('empty', 2)), 404, 'product "empty" has 1 page of advisories; there is no page 2', 'page 2 of an empty product')
    t.equal((await app.inject('/api/v1/products/amzn2/advisories/ALAS2-2018-939')).statusCode, 404, 'no .json suffix: no such document')
    t.equal((await app.inject('/api/v1/products/amzn2/advisories/page/1')).statusCode, 404, 'a page without .json: no such document')
    for (const n of ['0', '01', 'x', '-1', '1.5', '12345678']) {
      const res = await app.inject(`/api/v1/products/amzn2/advisories/page/${n}.json`)
      t.equal(res.statusCode, 400, `page "${n}": 400`)
      t.match(res.json(), { error: 'Bad Request', message: /^params\/n must match pattern/ }, `page "${n}": names the parameter`)
    }
    for (const path of [detailPath('amzn2', 'ALAS2-2018-939'), osvPath('amzn2', 'ALAS2-2018-939'), pagePath('amzn2', 1), '/api/v1/osv/amzn2/all.ndjson']) {
      isError(t, await app.inject(`${path}?product=amzn2`), 400, 'product: unknown parameter "product"; /openapi.json lists the parameters of every endpoint', `${path}?product=`)
    }
  })

  t.test('conditional requests: the path forms carry the data version and answer 304', async (t) => {
    for (const path of [detailPath('odd', 'a.b'), osvPath('odd', 'a.b'), pagePath('big', 2)]) {
      const first = await app.inject(path)
      t.equal(first.statusCode, 200, path)
      t.ok(first.headers.etag !== undefined && first.headers['last-modified'] !== undefined, `${path}: validators`)
      t.equal((await app.inject({ url: path, headers: { 'if-none-match': String(first.headers.etag) } })).statusCode, 304, `${path}: 304`)
    }
  })
})
