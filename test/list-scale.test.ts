// The lists as they must behave at a million advisories, checked on a few hundred: the kept counts (migration
// 0007) follow every insert, update and delete; a numbered page read from the far end of the list, from a page anchor, or along the
// order index with a severity filter, is the same slice of the same order; keyset pages walk the list once; a
// search over more matches than it may rank says so and lists the most recently added of them.
import t from 'tap'
import Database from 'better-sqlite3'
import { join } from 'node:path'
import { AdvisoryQuery, emptyFilter, type AdvisoryFilter, type Position } from '../db/advisory-query.js'
import { openDatabase } from '../db/open.js'
import { PageAnchors, type ListShape } from '../db/page-anchors.js'
import { SummaryStore } from '../db/summary-store.js'
import { writeRepo } from './helpers/repo-builder.js'
import { ingestOk, testDb } from './helpers/test-app.js'
import { updateinfoText } from './helpers/updateinfo-generator.js'

interface Raw { pk: number, product: string, id: string, issued: string | null, updated: string | null, severity: string | null, type: string | null, withdrawn: number }

const rank = (s: string | null): number => s === null ? 0 : s === 'critical' ? 6 : ['important', 'high'].includes(s) ? 5 : ['moderate', 'medium'].includes(s) ? 4 : s === 'low' ? 2 : 1
const cmp = (a: string | number, b: string | number): number => a < b ? -1 : a > b ? 1 : 0

/** The documented order (docs/api.md), written out here independently of the SQL. */
function expected (rows: Raw[], f: AdvisoryFilter, keyset = false): Raw[] {
  const kept = rows.filter((r) => (f.products.length === 0 || f.products.includes(r.product)) &&
    (f.severities.length === 0 || f.severities.includes(r.severity ?? 'none')) && (f.types.length === 0 || (r.type !== null && f.types.includes(r.type))) &&
    (f.withdrawn === null || r.withdrawn === (f.withdrawn ? 1 : 0)) &&
    (f.issuedAfter === null || (r.issued !== null && r.issued >= f.issuedAfter)) && (f.issuedBefore === null || (r.issued !== null && r.issued <= f.issuedBefore)))
  const sign = f.order === 'asc' ? 1 : -1
  const tail = (a: Raw, b: Raw): number => cmp(a.issued ?? '', b.issued ?? '') || cmp(a.id, b.id) || cmp(a.product, b.product)
  const by: Record<string, (a: Raw, b: Raw) => number> = {
    issued: tail,
    // The keyset order is the date, then id and product; the numbered pages' falls back to the issued order.
    updated: (a, b) => cmp(a.updated ?? a.issued ?? '', b.updated ?? b.issued ?? '') || (keyset ? cmp(a.id, b.id) || cmp(a.product, b.product) : tail(a, b)),
    severity: (a, b) => cmp(rank(a.severity), rank(b.severity)) || tail(a, b),
    id: (a, b) => cmp(a.id, b.id) || cmp(a.product, b.product)
  }
  return kept.sort((a, b) => sign * by[f.sort]!(a, b))
}

function keptCounts (db: Database.Database): unknown {
  const kept = db.prepare(`SELECT product_id, severity, type, withdrawn, sum(n) AS n FROM advisory_count GROUP BY 1, 2, 3, 4
    HAVING sum(n) > 0 ORDER BY 1, 2, 3, 4`).all()
  const counted = db.prepare('SELECT product_id, severity, type, withdrawn, count(*) AS n FROM advisory GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4').all()
  return { kept, counted }
}

const setup = async (): Promise<{ dbPath: string }> => {
  const { dir, dbPath } = testDb(t)
  const lab = (productId: string, xml: string): ReturnType<typeof labSpec> => labSpec(join(dir, productId), productId, xml)
  // Two products over the same dates: their advisories tie on issued and sort by id, then product.
  await ingestOk(t, dbPath, [lab('lab', updateinfoText({ advisories: 400, packagesPerAdvisory: 2, idPrefix: 'LAB' })),
    lab('other', updateinfoText({ advisories: 150, packagesPerAdvisory: 2, idPrefix: 'OTH', seed: 7 }))])
  // Rows the generator never makes: no severity, no issued date, another type, withdrawn; and some deleted.
  const db = new Database(dbPath)
  db.pragma('foreign_keys = OFF') // the deleted advisories' packages stay behind, unread
  db.exec(`UPDATE advisory SET severity = NULL WHERE pk % 17 = 0; UPDATE advisory SET issued = NULL WHERE pk % 23 = 0;
    UPDATE advisory SET type = 'enhancement' WHERE pk % 19 = 0; UPDATE advisory SET withdrawn = 1 WHERE pk % 11 = 0;
    UPDATE advisory SET updated = NULL WHERE pk % 7 = 0; DELETE FROM advisory WHERE pk % 29 = 0`)
  db.close()
  return { dbPath }
}

function labSpec (root: string, productId: string, xml: string): { productId: string, productName: string, url: string, kind: 'baseurl', baseurls: string[], name: string, allowedHosts: string[] } {
  writeRepo(root, xml)
  return { productId, productName: `Lab ${productId}`, url: root, kind: 'baseurl', baseurls: [root], name: productId, allowedHosts: [] }
}

t.test('the kept counts follow inserts, updates and deletes, and the summary reads them', async (t) => {
  const { dbPath } = await setup()
  const db = new Database(dbPath, { readonly: true })
  t.teardown(() => db.close())
  const { kept, counted } = keptCounts(db) as { kept: unknown[], counted: unknown[] }
  t.ok(counted.length > 8, 'several product, severity, type and withdrawn combinations')
  t.same(kept, counted, 'every combination counted as the rows are')
  const summary = new SummaryStore(openDatabase(dbPath, { readonly: true }))
  t.equal(summary.advisoryCount(), db.prepare('SELECT count(*) FROM advisory').pluck().get())
  t.same(summary.products().map((p) => [p.id, p.advisories, p.withdrawn]), db.prepare(`SELECT product_id, count(*), sum(withdrawn) FROM advisory
    GROUP BY product_id ORDER BY product_id`).raw().all())
  t.same(summary.vocabulary().severities, db.prepare('SELECT DISTINCT severity FROM advisory WHERE severity IS NOT NULL ORDER BY 1').pluck().all())
  t.same(summary.vocabulary().types, ['bugfix', 'enhancement', 'security'])
})

t.test('a numbered page is the same slice of the same order from either end and either index', async (t) => {
  const { dbPath } = await setup()
  const db = openDatabase(dbPath, { readonly: true })
  const rows = db.prepare('SELECT pk, product_id AS product, id, issued, updated, severity, type, withdrawn FROM advisory').all() as Raw[]
  const filters: Array<Partial<AdvisoryFilter>> = [{}, { products: ['lab'] }, { products: ['lab', 'other'] }, { severities: ['critical'] },
    { severities: ['none', 'low'], products: ['other'] }, { types: ['bugfix'] }, { withdrawn: false }, { sort: 'severity' },
    { sort: 'id', order: 'asc' }, { sort: 'updated' }, { order: 'asc' }, { issuedAfter: '2016-01-10T00:00:00Z', issuedBefore: '2016-02-01T00:00:00Z' }]
  for (const bounds of [{}, { indexedFilterRows: 0 }]) {
    const lists = new AdvisoryQuery(db, bounds)
    for (const part of filters) {
      const filter = { ...emptyFilter, ...part }
      const all = expected(rows, filter)
      const { total } = lists.list(filter, 20, 0)
      t.equal(total, all.length, `${JSON.stringify(part)}: total`)
      for (const offset of [0, 40, Math.floor(total / 2) - 3, Math.floor(total / 2) + 7, total - 10, total - 1]) {
        if (offset < 0) continue
        const page = lists.list(filter, 20, offset)
        t.same(page.items.map((a) => a.id), all.slice(offset, offset + 20).map((r) => r.id), `${JSON.stringify(part)} ${JSON.stringify(bounds)}: offset ${offset}`)
      }
      t.same(lists.list(filter, 20, total).items, [], 'past the end: no items')
    }
  }
})

t.test('a deep page read from its nearest anchor is the same slice, and anchors of another generation are not used', async (t) => {
  const { dbPath } = await setup()
  const db = openDatabase(dbPath, { readonly: true })
  const rows = db.prepare('SELECT pk, product_id AS product, id, issued, updated, severity, type, withdrawn FROM advisory').all() as Raw[]
  let generation = 1
  const anchors = new PageAnchors(db, (read) => read(generation), { step: 7, from: 10, perSlice: 3 })
  const lists = new AdvisoryQuery(db, {}, { anchors, generation: () => generation })
  t.equal(lists.pageReady(emptyFilter, 9), null, 'a page before `from` needs no anchor')
  t.equal(lists.pageReady({ ...emptyFilter, severities: ['low'] }, 50), null, 'nor does a filtered list')
  t.equal(lists.pageReady({ ...emptyFilter, sort: 'updated' }, 50), null, 'nor another order')
  const shapes: Array<[Partial<AdvisoryFilter>, ListShape]> = [[{}, { product: null, dir: 'DESC' }], [{ products: ['lab'] }, { product: 'lab', dir: 'DESC' }],
    [{ products: ['other'], order: 'asc' }, { product: 'other', dir: 'ASC' }], [{ order: 'asc' }, { product: null, dir: 'ASC' }], [{ sort: 'relevance' }, { product: null, dir: 'DESC' }]]
  for (const [part, shape] of shapes) {
    const filter = { ...emptyFilter, ...part }
    const all = expected(rows, { ...filter, sort: 'issued' })
    const ready = lists.pageReady(filter, 10)
    if (!part.sort) t.type(ready, Promise, `${JSON.stringify(part)}: its anchors are found`)
    await ready
    t.equal(lists.pageReady(filter, 10), null, 'and then known')
    t.ok(anchors.start(shape, generation, 14), 'a deep page starts from an anchor')
    for (const offset of [10, 13, 14, 20, 21, 100, all.length - 8, all.length - 3, all.length - 1]) {
      t.same(lists.list(filter, 20, offset).items.map((a) => `${a.product}/${a.id}`), all.slice(offset, offset + 20).map((r) => `${r.product}/${r.id}`),
        `${JSON.stringify(part)}: offset ${offset}`)
    }
  }
  // The data changes while anchors are being found: they are dropped, and pages are read over every entry meanwhile.
  const filter = { ...emptyFilter, products: ['lab'], order: 'asc' as const }
  const shape: ListShape = { product: 'lab', dir: 'ASC' }
  const finding = lists.pageReady(filter, 30)!
  generation = 2
  await finding
  t.equal(anchors.start(shape, 1, 30), null, 'anchors of a generation that ended while they were found are not kept')
  t.equal(anchors.start({ product: null, dir: 'DESC' }, 2, 30), null, 'nor those of an earlier generation used')
  const all = expected(rows, { ...filter, sort: 'issued' })
  t.same(lists.list(filter, 20, 30).items.map((a) => a.id), all.slice(30, 50).map((r) => r.id), 'the page is right without them')
  await lists.pageReady(filter, 30)
  t.ok(anchors.start(shape, 2, 30), 'found again for the new generation')
})

t.test('keyset pages walk the list once, in its order', async (t) => {
  const { dbPath } = await setup()
  const db = openDatabase(dbPath, { readonly: true })
  const rows = db.prepare('SELECT pk, product_id AS product, id, issued, updated, severity, type, withdrawn FROM advisory').all() as Raw[]
  const lists = new AdvisoryQuery(db)
  for (const part of [{}, { products: ['lab', 'other'] }, { products: ['other'] }, { sort: 'updated' as const }, { sort: 'updated' as const, order: 'asc' as const }, { order: 'asc' as const }]) {
    const filter = { ...emptyFilter, ...part }
    const walked: string[] = []
    let after: Position | null = null
    for (let pages = 0; pages < 100; pages++) {
      const { items, positions } = lists.listAfter(filter, 33, after)
      if (items.length === 0) break
      walked.push(...items.map((a) => `${a.product}/${a.id}`))
      after = positions.at(-1)!
    }
    t.same(walked, expected(rows, filter, true).map((r) => `${r.product}/${r.id}`), `${JSON.stringify(part)}: every advisory once, in order`)
  }
})

t.test('a search over more matches than searchCap counts and lists the most recently added of them', async (t) => {
  const { dbPath } = await setup()
  const db = openDatabase(dbPath, { readonly: true })
  const lists = new AdvisoryQuery(db, { searchCap: 30 })
  const filter = { ...emptyFilter, q: 'security', sort: 'issued' as const }
  const page = lists.list(filter, 20, 0)
  t.equal(page.total, 30)
  t.equal(page.more, true, 'the count is a lower bound')
  // The 30 full-text matches added last (a deleted advisory's search row, left behind by the setup, is one of them).
  const newest = db.prepare("SELECT rowid FROM advisory_fts WHERE advisory_fts MATCH 'security' ORDER BY rowid DESC LIMIT 30").pluck().all() as number[]
  const expectedIds = db.prepare(`SELECT id FROM advisory WHERE pk IN (SELECT value FROM json_each(?))
    ORDER BY coalesce(issued, '') DESC, id DESC, product_id DESC`).pluck().all(JSON.stringify(newest)) as string[]
  t.same(page.items.map((a) => a.id), expectedIds.slice(0, 20), 'the 30 added last, in the order asked')
  t.same(lists.list(filter, 20, 20).items.map((a) => a.id), expectedIds.slice(20), 'the second page ends the list')
  t.same(lists.list({ ...filter, sort: 'relevance' }, 50, 0).items.map((a) => a.id).sort(), [...expectedIds].sort(), 'ranked among the same ones')
  const exact = new AdvisoryQuery(db, { searchCap: 1000 }).list(filter, 20, 0)
  t.equal(exact.more, undefined, 'under the cap: an exact count')
  t.equal(exact.total, db.prepare("SELECT count(*) FROM advisory a JOIN advisory_fts f ON f.rowid = a.pk WHERE advisory_fts MATCH 'security'").pluck().get())
})
