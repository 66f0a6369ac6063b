// Filtered, sorted, paged advisory lists: the one query behind the list pages, CVE and package pages,
// feeds and the API. Filters arrive validated (server/advisory-filter.ts); values are always bound.
import { headColumns, headFlags, type AdvisoryHead, type PackageRow } from './advisory-read.js'
import type { Statement } from 'better-sqlite3'
import { withFlags, type Stored } from './flags.js'
import type { Db } from './open.js'
import { affectedSources } from '../domain/source-name.js'

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

export interface AdvisoryPage { total: number, items: AdvisorySummary[] }

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

export class AdvisoryQuery {
  private readonly statements = new Map<string, Statement<unknown[], unknown>>()

  constructor (private readonly db: Db) {}

  list (filter: AdvisoryFilter, limit: number, offset: number): AdvisoryPage {
    const { join, where, params } = whereClause(filter)
    const total = (this.prepare(`SELECT count(*) AS n FROM advisory a ${join} ${where}`).get(...params) as { n: number }).n
    if (total === 0 || offset >= total) return { total, items: [] }
    const rows = this.prepare(`SELECT ${headColumns}
      FROM advisory a JOIN product p ON p.id = a.product_id ${join} ${where} ORDER BY ${orderBy(filter)} LIMIT ? OFFSET ?`)
      .all(...params, limit, offset) as Row[]
    return { total, items: this.summaries(rows) }
  }

  /**
   * Keyset paging for the API: stable while data changes, because the position is the last item's sort
   * key (date, id, product), not an offset. Sorts by issued or updated date only.
   */
  listAfter (filter: AdvisoryFilter, limit: number, after: Position | null): { items: AdvisorySummary[], positions: Position[] } {
    const { join, where, params } = whereClause(filter)
    const key = filter.sort === 'updated' ? "coalesce(a.updated, a.issued, '')" : "coalesce(a.issued, '')"
    const dir = filter.order === 'asc' ? 'ASC' : 'DESC'
    let clause = where
    const bound = [...params]
    if (after !== null) {
      clause = `${where === '' ? 'WHERE' : `${where} AND`} (${key}, a.id, a.product_id) ${dir === 'ASC' ? '>' : '<'} (?, ?, ?)`
      bound.push(after.key, after.id, after.product)
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
    const lastPk = (this.prepare(`SELECT max(pk) AS pk FROM (SELECT pk FROM advisory WHERE product_id = ? AND withdrawn = 0 AND pk > ?
      ORDER BY pk LIMIT ?)`).get(product, afterPk, advisories) as { pk: number | null }).pk
    if (lastPk === null) return { rows: [], lastPk }
    const rows = this.prepare(`SELECT DISTINCT a.id AS advisory_id, a.severity, a.type, p.name, p.epoch, p.version, p.release, p.arch
      FROM advisory a JOIN advisory_package p ON p.advisory_pk = a.pk
      WHERE a.product_id = ? AND a.withdrawn = 0 AND a.pk > ? AND a.pk <= ? AND p.arch NOT IN ('src', 'nosrc')`).all(product, afterPk, lastPk) as FixedPackageRow[]
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
    const packageRows = this.prepare(`SELECT DISTINCT advisory_pk AS pk, name, arch, src_name AS srcName FROM advisory_package
      WHERE advisory_pk IN (${marks})`).all(...pks) as Array<{ pk: number, name: string, arch: string, srcName: string | null }>
    const byAdvisory = groupBy(packageRows, (row) => row)
    const cves = groupBy(this.prepare(`SELECT DISTINCT advisory_pk AS pk, cve AS v FROM advisory_cve
      WHERE advisory_pk IN (${marks}) ORDER BY 2`).all(...pks) as Array<{ pk: number, v: string }>, (row) => row.v)
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

/** Rows of a batch query grouped by advisory, each turned into what the caller keeps. */
function groupBy<R extends { pk: number }, V> (rows: R[], value: (row: R) => V): Map<number, V[]> {
  const map = new Map<number, V[]>()
  for (const row of rows) {
    const list = map.get(row.pk)
    if (list === undefined) map.set(row.pk, [value(row)])
    else list.push(value(row))
  }
  return map
}

function whereClause (filter: AdvisoryFilter): { join: string, where: string, params: unknown[] } {
  const clauses: string[] = []
  const params: unknown[] = []
  const anyOf = (column: string, values: string[]): void => {
    clauses.push(`${column} IN (${values.map(() => '?').join(',')})`)
    params.push(...values)
  }
  if (filter.products.length > 0) anyOf('a.product_id', filter.products)
  if (filter.severities.length > 0) {
    const named = filter.severities.filter((s) => s !== 'none')
    const parts = named.length > 0 ? [`a.severity IN (${named.map(() => '?').join(',')})`] : []
    params.push(...named)
    if (named.length < filter.severities.length) parts.push('a.severity IS NULL')
    clauses.push(`(${parts.join(' OR ')})`)
  }
  if (filter.types.length > 0) anyOf('a.type', filter.types)
  if (filter.package !== null) {
    clauses.push(`a.pk IN (SELECT advisory_pk FROM advisory_package WHERE name = ?
      UNION SELECT advisory_pk FROM advisory_package WHERE src_name = ?)`)
    params.push(filter.package, filter.package)
  }
  if (filter.cve !== null) {
    clauses.push('a.pk IN (SELECT advisory_pk FROM advisory_cve WHERE cve = ?)')
    params.push(filter.cve)
  }
  if (filter.issuedAfter !== null) { clauses.push('a.issued >= ?'); params.push(filter.issuedAfter) }
  if (filter.issuedBefore !== null) { clauses.push('a.issued <= ?'); params.push(filter.issuedBefore) }
  if (filter.updatedAfter !== null) { clauses.push('coalesce(a.updated, a.issued) > ?'); params.push(filter.updatedAfter) }
  if (filter.withdrawn !== null) { clauses.push('a.withdrawn = ?'); params.push(filter.withdrawn ? 1 : 0) }
  let join = ''
  if (filter.q !== null) {
    join = 'JOIN advisory_fts ON advisory_fts.rowid = a.pk'
    clauses.push('advisory_fts MATCH ?')
    params.push(filter.q)
  }
  return { join, where: clauses.length > 0 ? `WHERE ${clauses.join(' AND ')}` : '', params }
}

function orderBy (filter: AdvisoryFilter): string {
  const dir = filter.order === 'asc' ? 'ASC' : 'DESC'
  // Ties fall back to the newest first, then the id, so paging is stable.
  const tail = `coalesce(a.issued, '') ${dir}, a.id ${dir}, a.product_id ${dir}`
  switch (filter.sort) {
    case 'updated': return `coalesce(a.updated, a.issued, '') ${dir}, ${tail}`
    case 'severity': return `${severityRank} ${dir}, ${tail}`
    case 'id': return `a.id ${dir}, a.product_id ${dir}`
    case 'relevance':
      return filter.q !== null ? `advisory_fts.rank, ${tail}` : tail
    default: return tail
  }
}
