// Filtered, sorted, paged advisory lists: the one query behind the list pages, CVE and package pages,
// feeds and the API. Filters arrive validated (server/advisory-filter.ts); values are always bound.
import { headColumns, headFlags, type AdvisoryHead, type PackageRow } from './advisory-read.js'
import type { Statement } from 'better-sqlite3'
import { withFlags, type Stored } from './flags.js'
import type { Db } from './open.js'
import { affectedSources } from '../domain/source-name.js'
import type { ListShape, PageAnchors } from './page-anchors.js'

export type SortKey = 'issued' | 'updated' | 'severity' | 'id' | 'relevance'

export interface AdvisoryFilter {
  products: string[]
  severities: string[] // lower-case; 'none' selects advisories without a severity
  types: string[]
  package: string | null // binary or source package name
  cve: string | null
  issuedAfter: string | null // ISO 8601 UTC bounds, inclusive
  issuedBefore: string | null
  updatedAfter: string | null
  withdrawn: boolean | null // null: both
  q: string | null // FTS5 MATCH expression, already made safe
  sort: SortKey
  order: 'asc' | 'desc'
}

export interface AdvisorySummary extends AdvisoryHead {
  source_packages: string[]
  cves: string[]
}

/** `more`: a search matched more than `total` (searchCap) advisories; the page lists among those only. */
export interface AdvisoryPage { total: number, items: AdvisorySummary[], more?: true }

export interface ListBounds {
  /**
   * A full-text search counts and lists at most this many matches: ranking and counting every match of a common
   * word would hold the process for seconds at a million advisories (docs/portal.md, "Search").
   */
  searchCap: number
  /**
   * Above this many rows a severity or type filter is read along the order index (a row in four or so passes it),
   * instead of from its own index whose rows would all be sorted (a million advisories: 250,000 per severity).
   */
  indexedFilterRows: number
}

export const listBounds: ListBounds = { searchCap: 2000, indexedFilterRows: 20_000 }

/** A fixed package as the lists show it: NEVRA and source, without the advisory page's details. */
export type ListedPackage = Omit<PackageRow, 'filename' | 'collection' | 'reboot_suggested'>

export interface FixedPackageRow {
  advisory_id: string
  severity: string | null
  type: string | null
  name: string
  epoch: string
  version: string
  release: string
  arch: string
}

/** Where a keyset page ends: the last item's sort key, id and product. */
export interface Position { key: string, id: string, product: string }

export const emptyFilter: AdvisoryFilter = {
  products: [],
  severities: [],
  types: [],
  package: null,
  cve: null,
  issuedAfter: null,
  issuedBefore: null,
  updatedAfter: null,
  withdrawn: null,
  q: null,
  sort: 'issued',
  order: 'desc'
}

// Most severe first when sorting descending; unknown vocabularies sit between low and none.
const severityRank = `CASE WHEN a.severity IS NULL THEN 0 WHEN a.severity = 'critical' THEN 6
  WHEN a.severity IN ('important', 'high') THEN 5 WHEN a.severity IN ('moderate', 'medium') THEN 4
  WHEN a.severity = 'low' THEN 2 ELSE 1 END`

type Row = Stored<AdvisoryHead, typeof headFlags[number]>

/** Anchors of the plain lists' deep pages (db/page-anchors.ts), and the generation of the data being read. */
export interface DeepPages { anchors: PageAnchors, generation: () => number }

export class AdvisoryQuery {
  private readonly statements = new Map<string, Statement<unknown[], unknown>>()

  private readonly bounds: ListBounds

  constructor (private readonly db: Db, bounds: Partial<ListBounds> = {}, private readonly deep: DeepPages | null = null) {
    this.bounds = { ...listBounds, ...bounds }
  }

  /**
   * Null, or a promise to wait for before reading the page at `offset` inside a snapshot: it settles when the
   * anchors that page seeks are known (found a slice at a time, other requests served between slices).
   */
  pageReady (filter: AdvisoryFilter, offset: number): Promise<void> | null {
    const shape = plainShape(filter)
    if (this.deep === null || shape === null || !this.deep.anchors.wanted(offset)) return null
    return this.deep.anchors.ready(shape, this.deep.generation())
  }

  /**
   * A page by offset (the numbered pages). The page's pks come first from the order's index alone (OFFSET steps
   * index entries, it reads no row), from the nearer end of the list; then only those rows are read.
   */
  list (filter: AdvisoryFilter, limit: number, offset: number): AdvisoryPage {
    const counted = whereClause(filter)
    const { total, more } = this.count(filter, counted.join, counted.where, counted.params)
    if (total === 0 || offset >= total) return more ? { total, items: [], more: true } : { total, items: [] }
    const pks = this.pagePks(filter, total, more, Math.min(offset + limit, total) - offset, offset)
    const rows = this.prepare(`SELECT ${headColumns} FROM advisory a JOIN product p ON p.id = a.product_id
      WHERE a.pk IN (SELECT value FROM json_each(?))`).all(JSON.stringify(pks)) as Row[]
    const byPk = new Map(rows.map((r) => [r.pk, r]))
    const items = this.summaries(pks.map((pk) => byPk.get(pk)!))
    return more ? { total, items, more: true } : { total, items }
  }

  /** The pks of `count` advisories from `offset`, in the filter's order. */
  private pagePks (filter: AdvisoryFilter, total: number, more: boolean, count: number, offset: number): number[] {
    if (more) {
      // Over searchCap matches: the searchCap added last (highest search rows), ranked only among themselves,
      // then the other filters, in the order asked (docs/portal.md, "Search").
      const { where, params } = whereClause({ ...filter, q: null }, true)
      return this.prepare(`SELECT a.pk FROM (SELECT rowid AS pk, rank FROM advisory_fts WHERE advisory_fts MATCH ?
        ORDER BY rowid DESC LIMIT ${this.bounds.searchCap}) s JOIN advisory a ON a.pk = s.pk ${where}
        ORDER BY ${orderBy(filter, 's.rank')} LIMIT ? OFFSET ?`).pluck().all(filter.q, ...params, count, offset) as number[]
    }
    // Deep in a plain list: from the nearest anchor (db/page-anchors.ts) rather than over every entry before the page.
    const shape = plainShape(filter)
    const start = shape === null || this.deep === null ? null : this.deep.anchors.start(shape, this.deep.generation(), offset)
    if (shape !== null && start !== null) return this.deep!.anchors.pagePks(shape, start, count)
    const { join, where, params } = whereClause(filter, total > this.bounds.indexedFilterRows)
    // OFFSET steps over index entries one by one: a page in the second half is counted from the far end.
    const fromEnd = filter.sort !== 'relevance' && offset > total / 2
    const order = orderBy(fromEnd ? { ...filter, order: filter.order === 'asc' ? 'desc' : 'asc' } : filter)
    const pks = this.prepare(`SELECT a.pk FROM advisory a ${join} ${where} ORDER BY ${order} LIMIT ? OFFSET ?`).pluck()
      .all(...params, count, fromEnd ? total - offset - count : offset) as number[]
    return fromEnd ? pks.reverse() : pks
  }

  /**
   * How many advisories a filter selects: from the kept counts (migration 0007) when it filters by product,
   * severity, type or withdrawn state only; a search counts its matches up to searchCap (`more`: there are more).
   */
  private count (filter: AdvisoryFilter, join: string, where: string, params: unknown[]): { total: number, more: boolean } {
    if (keptCountsAnswer(filter)) {
      return { total: (this.prepare(`SELECT coalesce(sum(a.n), 0) AS n FROM advisory_count a ${where}`).get(...params) as { n: number }).n, more: false }
    }
    if (filter.q === null) return { total: (this.prepare(`SELECT count(*) AS n FROM advisory a ${join} ${where}`).get(...params) as { n: number }).n, more: false }
    const cap = this.bounds.searchCap
    // A search alone over more than the cap is known from the search index, without reading a row.
    const matches = (this.prepare(`SELECT count(*) AS n FROM (SELECT rowid FROM advisory_fts WHERE advisory_fts MATCH ? LIMIT ${cap + 1})`).get(filter.q) as { n: number }).n
    if (matches > cap && searchAlone(filter)) return { total: cap, more: true }
    const n = (this.prepare(`SELECT count(*) AS n FROM (SELECT 1 FROM advisory a ${join} ${where} LIMIT ${cap + 1})`).get(...params) as { n: number }).n
    return n > cap ? { total: cap, more: true } : { total: n, more: false }
  }

  /**
   * Keyset paging for the API: stable while data changes, because the position is the last item's sort
   * key (date, id, product), not an offset. Sorts by issued or updated date only.
   */
  listAfter (filter: AdvisoryFilter, limit: number, after: Position | null): { items: AdvisorySummary[], positions: Position[] } {
    const counted = whereClause(filter)
    const common = keptCountsAnswer(filter) && this.count(filter, '', counted.where, counted.params).total > this.bounds.indexedFilterRows
    const { join, where, params } = whereClause(filter, common)
    const key = filter.sort === 'updated' ? "coalesce(a.updated, a.issued, '')" : "coalesce(a.issued, '')"
    const dir = filter.order === 'asc' ? 'ASC' : 'DESC'
    const cmp = dir === 'ASC' ? '>' : '<'
    let clause = where
    const bound = [...params]
    if (after !== null) {
      // The key alone first: SQLite seeks the order index on it (the row value alone it only filters with).
      clause = `${where === '' ? 'WHERE' : `${where} AND`} ${key} ${cmp}= ? AND (${key}, a.id, a.product_id) ${cmp} (?, ?, ?)`
      bound.push(after.key, after.key, after.id, after.product)
    }
    const rows = this.prepare(`SELECT ${headColumns}, ${key} AS sort_key
      FROM advisory a JOIN product p ON p.id = a.product_id ${join} ${clause}
      ORDER BY ${key} ${dir}, a.id ${dir}, a.product_id ${dir} LIMIT ?`).all(...bound, limit) as Array<Row & { sort_key: string }>
    if (rows.length === 0) return { items: [], positions: [] }
    const positions = rows.map((r) => ({ key: r.sort_key, id: r.id, product: r.product }))
    return { items: this.summaries(rows.map(({ sort_key: _key, ...row }) => row)), positions }
  }

  /** The fixed packages of each advisory, only those named `name` (binary or source name) when given. */
  packagesOf (pks: number[], name: string | null): Map<number, ListedPackage[]> {
    if (pks.length === 0) return new Map()
    const marks = pks.map(() => '?').join(',')
    const byName = name === null ? '' : 'AND (name = ? OR src_name = ?)'
    const rows = this.prepare(`SELECT DISTINCT advisory_pk AS pk, name, epoch, version, release, arch, src, src_name
      FROM advisory_package WHERE advisory_pk IN (${marks}) ${byName} ORDER BY advisory_pk, arch, name`)
      .all(...pks, ...(name === null ? [] : [name, name])) as Array<ListedPackage & { pk: number }>
    return groupBy(rows, ({ pk: _pk, ...p }) => p)
  }

  /** Every fixed package of a product's active advisories: what POST /api/v1/query matches against. */
  /**
   * The fixed packages of up to `advisories` advisories with a pk above `afterPk` (-1: all), and the last
   * pk read: the query index is read in slices so that no single read holds the event loop for long.
   */
  fixedPackagesPage (product: string, afterPk: number, advisories: number): { rows: FixedPackageRow[], lastPk: number | null } {
    // Read in pk order (unary + keeps SQLite off the product's indexes, which hold its rows in another order: it
    // would read and sort all of them for every slice, seconds at a million advisories).
    const lastPk = (this.prepare(`SELECT max(pk) AS pk FROM (SELECT pk FROM advisory WHERE +product_id = ? AND withdrawn = 0 AND pk > ?
      ORDER BY pk LIMIT ?)`).get(product, afterPk, advisories) as { pk: number | null }).pk
    if (lastPk === null) return { rows: [], lastPk }
    const rows = this.prepare(`SELECT DISTINCT a.id AS advisory_id, a.severity, a.type, p.name, p.epoch, p.version, p.release, p.arch
      FROM advisory a JOIN advisory_package p ON p.advisory_pk = a.pk
      WHERE +a.product_id = ? AND a.withdrawn = 0 AND a.pk > ? AND a.pk <= ? AND p.arch NOT IN ('src', 'nosrc')`).all(product, afterPk, lastPk) as FixedPackageRow[]
    return { rows, lastPk }
  }

  /** Descriptions (or else summaries) of a page of advisories, for feed items. */
  descriptionsOf (pks: number[]): Map<number, string | null> {
    if (pks.length === 0) return new Map()
    const rows = this.prepare(`SELECT pk, coalesce(description, summary) AS text FROM advisory WHERE pk IN (${pks.map(() => '?').join(',')})`)
      .all(...pks) as Array<{ pk: number, text: string | null }>
    return new Map(rows.map((r) => [r.pk, r.text]))
  }

  /**
   * Source package names and CVEs for a page of rows, in two queries rather than two per row. The package
   * rows take affectedSources' own field name (srcName).
   */
  private summaries (rows: Row[]): AdvisorySummary[] {
    const pks = rows.map((r) => r.pk)
    const marks = pks.map(() => '?').join(',')
    // Rows as arrays: better-sqlite3 makes a row object at about twice the cost (a list page reads 400 package rows).
    const packageRows = this.prepare(`SELECT DISTINCT advisory_pk, name, arch, src_name FROM advisory_package
      WHERE advisory_pk IN (${marks})`).raw().all(...pks) as Array<[pk: number, name: string, arch: string, srcName: string | null]>
    const byAdvisory = groupBy(packageRows, ([, name, arch, srcName]) => ({ name, arch, srcName }))
    const cves = groupBy(this.prepare(`SELECT DISTINCT advisory_pk, cve FROM advisory_cve
      WHERE advisory_pk IN (${marks}) ORDER BY 2`).raw().all(...pks) as Array<[pk: number, cve: string]>, ([, cve]) => cve)
    return rows.map((r) => ({
      ...withFlags(r, headFlags),
      source_packages: affectedSources(byAdvisory.get(r.pk) ?? []),
      cves: cves.get(r.pk) ?? []
    }))
  }

  // Statements are cached by their text: filters combine into a small, bounded set of shapes.
  private prepare (sql: string): Statement<unknown[], unknown> {
    let statement = this.statements.get(sql)
    if (statement === undefined) {
      statement = this.db.prepare<unknown[], unknown>(sql)
      if (this.statements.size < 500) this.statements.set(sql, statement)
    }
    return statement
  }
}

/** Rows of a batch query grouped by advisory (a row object's `pk`, or a raw row's first column), each turned into what the caller keeps. */
function groupBy<R extends { pk: number } | [number, ...unknown[]], V> (rows: R[], value: (row: R) => V): Map<number, V[]> {
  const map = new Map<number, V[]>()
  for (const row of rows) {
    const pk = Array.isArray(row) ? row[0] : row.pk
    const list = map.get(pk)
    if (list === undefined) map.set(pk, [value(row)])
    else list.push(value(row))
  }
  return map
}

/** A list by issued date of every product or one, nothing else filtered: one that page anchors serve. */
function plainShape (filter: AdvisoryFilter): ListShape | null {
  const plain = filter.products.length <= 1 && filter.severities.length === 0 && filter.types.length === 0 && filter.withdrawn === null &&
    keptCountsAnswer(filter) && (filter.sort === 'issued' || (filter.sort === 'relevance' && filter.q === null))
  return plain ? { product: filter.products[0] ?? null, dir: filter.order === 'asc' ? 'ASC' : 'DESC' } : null
}

/** Filters by product, severity, type and withdrawn state only: the kept counts' own columns. */
function keptCountsAnswer (filter: AdvisoryFilter): boolean {
  return filter.package === null && filter.cve === null && filter.issuedAfter === null && filter.issuedBefore === null &&
    filter.updatedAfter === null && filter.q === null
}

/** `scanOrder`: the severity and type terms filter rows read in list order (unary + keeps SQLite off their indexes). */
/** A search with no other filter. */
function searchAlone (filter: AdvisoryFilter): boolean {
  return keptCountsAnswer({ ...filter, q: null }) && filter.products.length + filter.severities.length + filter.types.length === 0 && filter.withdrawn === null
}

function whereClause (filter: AdvisoryFilter, scanOrder = false): { join: string, where: string, params: unknown[] } {
  const plain = scanOrder ? '+' : ''
  const clauses: string[] = []
  const params: unknown[] = []
  const anyOf = (column: string, values: string[]): void => {
    clauses.push(`${column} IN (${values.map(() => '?').join(',')})`)
    params.push(...values)
  }
  // Several products: read the order index with the products as a filter (unary + keeps SQLite off the product
  // index, whose rows it would have to sort); one product: its own order index.
  if (filter.products.length > 0) anyOf(filter.products.length > 1 ? '+a.product_id' : 'a.product_id', filter.products)
  if (filter.severities.length > 0) {
    const named = filter.severities.filter((s) => s !== 'none')
    const parts = named.length > 0 ? [`${plain}a.severity IN (${named.map(() => '?').join(',')})`] : []
    params.push(...named)
    if (named.length < filter.severities.length) parts.push('a.severity IS NULL')
    clauses.push(`(${parts.join(' OR ')})`)
  }
  if (filter.types.length > 0) anyOf(`${plain}a.type`, filter.types)
  if (filter.package !== null) {
    clauses.push(`a.pk IN (SELECT advisory_pk FROM advisory_package WHERE name = ?
      UNION SELECT advisory_pk FROM advisory_package WHERE src_name = ?)`)
    params.push(filter.package, filter.package)
  }
  if (filter.cve !== null) {
    clauses.push('a.pk IN (SELECT advisory_pk FROM advisory_cve WHERE cve = ?)')
    params.push(filter.cve)
  }
  // Dates as the order indexes spell them (migrations 0006, 0007), so a range is a range of the index. The
  // bounds are never empty, so '' (no date) stays out as NULL did.
  if (filter.issuedAfter !== null) { clauses.push("coalesce(a.issued, '') >= ?"); params.push(filter.issuedAfter) }
  if (filter.issuedBefore !== null) { clauses.push("coalesce(a.issued, '') > '' AND coalesce(a.issued, '') <= ?"); params.push(filter.issuedBefore) }
  if (filter.updatedAfter !== null) { clauses.push("coalesce(a.updated, a.issued, '') > ?"); params.push(filter.updatedAfter) }
  if (filter.withdrawn !== null) { clauses.push('a.withdrawn = ?'); params.push(filter.withdrawn ? 1 : 0) }
  let join = ''
  if (filter.q !== null) {
    join = 'JOIN advisory_fts ON advisory_fts.rowid = a.pk'
    clauses.push('advisory_fts MATCH ?')
    params.push(filter.q)
  }
  return { join, where: clauses.length > 0 ? `WHERE ${clauses.join(' AND ')}` : '', params }
}

/** `rank`: where the search's rank is read (the joined search table, or a subquery's column). */
function orderBy (filter: AdvisoryFilter, rank = 'advisory_fts.rank'): string {
  const dir = filter.order === 'asc' ? 'ASC' : 'DESC'
  // Ties fall back to the newest first, then the id, so paging is stable.
  const tail = `coalesce(a.issued, '') ${dir}, a.id ${dir}, a.product_id ${dir}`
  switch (filter.sort) {
    case 'updated': return `coalesce(a.updated, a.issued, '') ${dir}, ${tail}`
    case 'severity': return `${severityRank} ${dir}, ${tail}`
    case 'id': return `a.id ${dir}, a.product_id ${dir}`
    case 'relevance':
      return filter.q !== null ? `${rank}, ${tail}` : tail
    default: return tail
  }
}
