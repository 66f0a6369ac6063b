// Bulk writing (db/advisory-store.ts, db/bulk-indexes.ts): a repo's transaction that adds many advisories drops
// the list and search indexes, builds them again before its commit and writes the search rows of what it added
// in one statement. What it stores must be exactly what row-at-a-time writing stores, and a rollback must leave
// the schema as it was. The threshold is lowered here so small files take both ways.
import t, { type Test } from 'tap'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { AdvisoryStore } from '../db/advisory-store.js'
import type { Advisory } from '../db/advisory.js'
import { migrate } from '../db/migrate.js'
import { openDatabase, type Db } from '../db/open.js'
import { RepoStore } from '../db/repo-store.js'
import { readUpdateinfo } from '../ingest/read-updateinfo.js'
import { tempDir } from './helpers/paths.js'
import { updateinfoText } from './helpers/updateinfo-generator.js'

async function advisories (count: number, idPrefix: string): Promise<Advisory[]> {
  const text = updateinfoText({ advisories: count, packagesPerAdvisory: 3, idPrefix })
  const out: Advisory[] = []
  for await (const r of readUpdateinfo(Readable.from([Buffer.from(text)]), { maxTextRun: 1 << 26 })) if (r.kind === 'advisory') out.push(r.advisory)
  return out
}

/** Writes each batch as one repo's transaction (product = the batch's prefix), committed or rolled back. */
function ingest (db: Db, bulkAfter: number, batches: Array<{ product: string, list: Advisory[], rollback?: boolean }>): void {
  const repos = new RepoStore(db)
  const store = new AdvisoryStore(db, { bulkAfter })
  for (const { product, list, rollback } of batches) {
    const repo = repos.ensureRepo(product, product, `/repos/${product}`, 'baseurl', null, '2026-12-02T00:00:00Z')
    const writer = store.beginRepo(product, repo.id, 1, '2026-12-02T00:00:00Z')
    for (const a of list) writer.write(a)
    if (rollback === true) writer.rollback()
    else writer.commit()
  }
}

const tables = ['advisory', 'advisory_repo', 'advisory_reference', 'advisory_cve', 'advisory_collection', 'advisory_module', 'advisory_package', 'advisory_log', 'meta']

/** Every stored row, the search rows with their package names as a set, the schema, and what searches find. */
function contents (db: Db): unknown {
  // Each database has an id of its own (migration 0008); everything else must be the same.
  const rows = tables.map((name) => db.prepare(`SELECT * FROM ${name} ${name === 'meta' ? "WHERE key != 'database_id'" : ''} ORDER BY 1, 2`).all())
  const search = db.prepare<[], { rowid: number, ident: string, title: string, description: string, packages: string, cves: string }>(
    'SELECT rowid, * FROM advisory_fts ORDER BY rowid').all().map((r) => ({ ...r, packages: r.packages.split(' ').sort() }))
  const schema = db.prepare("SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY name").all()
  const found = ['openssl', 'kernel*', '"CVE-2016-10001"', 'overflow heap'].map((q) =>
    db.prepare('SELECT rowid FROM advisory_fts WHERE advisory_fts MATCH ? ORDER BY rowid').pluck().all(q))
  return { rows, search, schema, found }
}

function fresh (t: Test, name: string): Db {
  const db = openDatabase(join(tempDir(t), `${name}.sqlite`))
  t.teardown(() => { db.close() })
  migrate(db)
  return db
}

t.test('bulk writing stores exactly what row-at-a-time writing stores', async (t) => {
  const first = await advisories(40, 'AMZN')
  const second = await advisories(90, 'EPLL')
  const slow = fresh(t, 'slow')
  const bulk = fresh(t, 'bulk')
  ingest(slow, Number.MAX_SAFE_INTEGER, [{ product: 'amzn', list: first }, { product: 'epll', list: second }])
  // The first repo turns to bulk after 5 advisories; the second after 40 (as many as the database holds).
  ingest(bulk, 5, [{ product: 'amzn', list: first }, { product: 'epll', list: second }])
  t.same(contents(bulk), contents(slow), 'the same rows, search rows, schema and search results')
  t.equal(bulk.prepare('SELECT count(*) FROM advisory_fts').pluck().get(), 130, 'one search row per advisory')
  t.equal(bulk.pragma('integrity_check', { simple: true }), 'ok')
  t.ok((bulk.prepare("SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = 'advisory_package_name'").pluck().get() as number) === 1, 'the dropped indexes are back')
})

t.test('a rolled-back bulk write leaves the schema and the data as they were', async (t) => {
  const db = fresh(t, 'rollback')
  const list = await advisories(30, 'AMZN')
  ingest(db, 5, [{ product: 'amzn', list: list.slice(0, 10) }])
  const before = contents(db)
  ingest(db, 5, [{ product: 'rocky', list: list.slice(10), rollback: true }])
  t.same(contents(db), before, 'no row, search row or index changed')
  // The next run writes normally after it.
  ingest(db, 5, [{ product: 'rocky', list: list.slice(10) }])
  t.equal(db.prepare('SELECT count(*) FROM advisory').pluck().get(), 30)
  t.equal(db.pragma('integrity_check', { simple: true }), 'ok')
})

t.test('changed advisories in a bulk write keep their search rows current', async (t) => {
  const list = await advisories(30, 'AMZN')
  const revised = list.map((a, i) => (i % 3 === 0 ? { ...a, title: `${a.title ?? ''} revised`, description: 'a heap overflow' } : a))
  const more = await advisories(60, 'MORE')
  const slow = fresh(t, 'slow')
  const bulk = fresh(t, 'bulk')
  ingest(slow, Number.MAX_SAFE_INTEGER, [{ product: 'amzn', list }, { product: 'amzn', list: [...revised, ...more] }])
  ingest(bulk, 5, [{ product: 'amzn', list }, { product: 'amzn', list: [...revised, ...more] }])
  t.same(contents(bulk), contents(slow))
})
