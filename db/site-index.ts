// Every advisory of the site in one pass: the sitemap and the static export walk the whole database, and a
// few queries over whole tables (one sort) cost a fraction of paging through the list (a sort per page).
// The lighter reads serve the incremental export (export/delta.ts) and the sitemap: the advisories' versions
// in list order without their CVEs and names, the CVEs and names of a few, and the site's contents by counts.
import type { Db } from './open.js'

/** One advisory as the lists show it, in their default order (newest issued first). */
export interface ListedAdvisory {
  pk: number
  product: string
  id: string
  severity: string | null
  withdrawn: boolean
  /** Updated, else issued: a sitemap's lastmod. */
  newest: string | null
  /**
   * Changes whenever anything the advisory shows changes: its last change, withdrawal, and the content hash
   * of what each repo lists (a repo that stops listing it changes it too, without touching last_changed).
   */
  version: string
}

/** A place in migration 0008's log of changed advisories, in one database. */
export interface LogPosition { database: string, seq: number }

/** One advisory as the site's index holds it: with the CVEs it fixes and the packages it touches. */
export interface IndexedAdvisory extends ListedAdvisory {
  cves: string[]
  /** Binary and source package names. */
  names: string[]
}

/** What the site is made of, by counts (server/pages/site-contents.ts). */
export interface ContentCounts {
  /** Every advisory's product, id and newest date, unordered. */
  advisories: Array<[product: string, id: string, newest: string | null]>
  /**
   * CVE -> advisories fixing it; binary or source package name -> advisories touching it. Exact past one
   * page of a list; below, the number of rows (one per repo and arch: at most a page), which pages the same.
   */
  cves: Map<string, number>
  packages: Map<string, number>
}

// The order of the HTML lists, feeds and API pages (db/advisory-query.ts: orderBy, listAfter).
const listOrder = 'ORDER BY coalesce(a.issued, \'\') DESC, a.id DESC, a.product_id DESC'
const listed = 'a.pk, a.product_id AS product, a.id, a.severity, a.withdrawn, coalesce(a.updated, a.issued) AS newest, a.last_changed'

export class SiteIndex {
  private readonly s

  constructor (db: Db) {
    this.s = {
      listed: db.prepare<[], [number, string, string, string | null, number, string | null, string]>(`SELECT ${listed} FROM advisory a ${listOrder}`).raw(),
      listedRepos: db.prepare<[], [number, string]>(`SELECT advisory_pk, group_concat(repo_id || ':' || content_hash || ':' || present, ' ')
        FROM (SELECT advisory_pk, repo_id, content_hash, present FROM advisory_repo ORDER BY advisory_pk, repo_id) GROUP BY advisory_pk`).raw(),
      cves: db.prepare<[], { pk: number, v: string }>('SELECT DISTINCT advisory_pk AS pk, cve AS v FROM advisory_cve ORDER BY 1, 2'),
      // Unsorted and with repeats: a UNION would sort every package row; the names are deduplicated below.
      names: db.prepare<[], { pk: number, name: string, src: string | null }>('SELECT advisory_pk AS pk, name, src_name AS src FROM advisory_package'),
      cvesOf: db.prepare<[number], { v: string }>('SELECT DISTINCT cve AS v FROM advisory_cve WHERE advisory_pk = ? ORDER BY 1'),
      namesOf: db.prepare<[number, number], { v: string }>(`SELECT name AS v FROM advisory_package WHERE advisory_pk = ?
        UNION SELECT src_name FROM advisory_package WHERE advisory_pk = ? AND src_name IS NOT NULL ORDER BY 1`),
      // Through the name and CVE indexes, in the lists' order: the members of one group.
      cveMembers: db.prepare<[string], { pk: number }>(`SELECT a.pk FROM advisory a WHERE a.pk IN (SELECT advisory_pk FROM advisory_cve WHERE cve = ?) ${listOrder}`),
      packageMembers: db.prepare<[string, string], { pk: number }>(`SELECT a.pk FROM advisory a WHERE a.pk IN
        (SELECT advisory_pk FROM advisory_package WHERE name = ? UNION SELECT advisory_pk FROM advisory_package WHERE src_name = ?) ${listOrder}`),
      // coalesce(updated, issued, '') is migration 0007's index's first column: the index covers the query, which
      // then reads it rather than every advisory row (20,000: 22 to 50 ms instead of 56 to 93).
      // Migration 0008's log of changed advisories.
      databaseId: db.prepare<[], string>("SELECT value FROM meta WHERE key = 'database_id'").pluck(),
      lastLogged: db.prepare<[], number>("SELECT seq FROM sqlite_sequence WHERE name = 'advisory_log'").pluck(),
      firstLogged: db.prepare<[], number | null>('SELECT min(seq) FROM advisory_log').pluck(),
      loggedSince: db.prepare<[number], number>('SELECT DISTINCT advisory_pk FROM advisory_log WHERE seq > ?').pluck(),
      listedOne: db.prepare<[number], [number, string, string, string | null, number, string | null, string, string]>(
        `SELECT ${listed}, coalesce(a.issued, '') FROM advisory a WHERE a.pk = ?`).raw(),
      reposOf: db.prepare<[number], string | null>(`SELECT group_concat(repo_id || ':' || content_hash || ':' || present, ' ')
        FROM (SELECT repo_id, content_hash, present FROM advisory_repo WHERE advisory_pk = ? ORDER BY repo_id)`).pluck(),
      // How many advisories come before one in the list order, counted along its index (migration 0006): a row
      // value comparison would scan the whole index instead.
      before: db.prepare<[{ issued: string, id: string, product: string }], number>(`SELECT
        (SELECT count(*) FROM advisory WHERE coalesce(issued, '') > @issued) +
        (SELECT count(*) FROM advisory WHERE coalesce(issued, '') = @issued AND (id > @id OR (id = @id AND product_id > @product)))`).pluck(),
      contentAdvisories: db.prepare<[], [string, string, string]>("SELECT product_id, id, coalesce(updated, issued, '') FROM advisory").raw(),
      cveRows: db.prepare<[], [string, number]>('SELECT cve, count(*) FROM advisory_cve GROUP BY cve').raw(),
      nameRows: db.prepare<[], [string, number]>('SELECT name, count(*) FROM advisory_package GROUP BY name').raw(),
      srcRows: db.prepare<[], [string, number]>('SELECT src_name, count(*) FROM advisory_package WHERE src_name IS NOT NULL GROUP BY src_name').raw(),
      cveCount: db.prepare<[string], { n: number }>('SELECT count(DISTINCT advisory_pk) AS n FROM advisory_cve WHERE cve = ?'),
      packageCount: db.prepare<[string, string], { n: number }>(`SELECT count(*) AS n FROM
        (SELECT advisory_pk FROM advisory_package WHERE name = ? UNION SELECT advisory_pk FROM advisory_package WHERE src_name = ?)`)
    }
  }

  /** Every advisory with its CVEs and names. Call inside one read snapshot. */
  read (): IndexedAdvisory[] {
    const cves = grouped(this.s.cves.all())
    const names = new Map<number, Set<string>>()
    for (const { pk, name, src } of this.s.names.iterate()) {
      let set = names.get(pk)
      if (set === undefined) names.set(pk, set = new Set())
      set.add(name)
      if (src !== null) set.add(src)
    }
    return this.listed().map((a) => ({ ...a, cves: cves.get(a.pk) ?? [], names: [...names.get(a.pk) ?? []].sort() }))
  }

  /** Every advisory in list order with its version, without CVEs and names (a fraction of `read`). */
  listed (): ListedAdvisory[] {
    // Rows as arrays: at 20,000 advisories half the time of row objects, read on every incremental export.
    const repos = new Map(this.s.listedRepos.all())
    return this.s.listed.all().map(([pk, product, id, severity, withdrawn, newest, lastChanged]) => ({
      pk, product, id, severity, withdrawn: withdrawn === 1, newest, version: `${lastChanged} ${withdrawn} ${repos.get(pk) ?? ''}`
    }))
  }

  /** Where the log of changed advisories is (migration 0008): this database's id and its last entry. */
  logPosition (): LogPosition {
    return { database: this.s.databaseId.get() ?? '', seq: this.s.lastLogged.get() ?? 0 }
  }

  /** The advisories (pks) changed after log entry `seq`, each once; null when the log no longer reaches back to it. */
  changedSince (seq: number): number[] | null {
    const last = this.s.lastLogged.get() ?? 0
    if (last === seq) return []
    const first = this.s.firstLogged.get()
    if (last < seq || first === null || first === undefined || first > seq + 1) return null
    return this.s.loggedSince.all(seq)
  }

  /** These advisories as `listed` gives them, with each one's place in the list order; an advisory gone is left out. */
  listedAt (pks: number[]): Array<{ advisory: ListedAdvisory, at: number }> {
    return pks.flatMap((pk) => {
      const row = this.s.listedOne.get(pk)
      if (row === undefined) return []
      const [, product, id, severity, withdrawn, newest, lastChanged, issued] = row
      const advisory = { pk, product, id, severity, withdrawn: withdrawn === 1, newest, version: `${lastChanged} ${withdrawn} ${this.s.reposOf.get(pk) ?? ''}` }
      return [{ advisory, at: this.s.before.get({ issued, id, product })! }]
    })
  }

  /** One advisory's CVEs and binary and source package names, sorted (as `read` gives them). */
  groupsOf (pk: number): { cves: string[], names: string[] } {
    return { cves: this.s.cvesOf.all(pk).map((r) => r.v), names: this.s.namesOf.all(pk, pk).map((r) => r.v) }
  }

  /** The advisories (pks) fixing a CVE or touching a package name, in list order. */
  membersOf (kind: 'cve' | 'package', name: string): number[] {
    return (kind === 'cve' ? this.s.cveMembers.all(name) : this.s.packageMembers.all(name, name)).map((r) => r.pk)
  }

  /** Every advisory's product, id and newest date ('' for none), unordered. */
  advisoryDates (): Array<[product: string, id: string, newest: string]> {
    return this.s.contentAdvisories.all()
  }

  /**
   * Every CVE and package name by counts, from the indexes (no advisory's CVEs or names are read one by one).
   * A name's or CVE's rows count its advisories once per repo and arch: only a count past `pageSize` rows can
   * fill more than one page of its list, and only those are counted exactly.
   */
  groupCounts (pageSize: number): Pick<ContentCounts, 'cves' | 'packages'> {
    const cves = new Map(this.s.cveRows.all())
    for (const [cve, rows] of cves) if (rows > pageSize) cves.set(cve, this.s.cveCount.get(cve)!.n)
    const packages = new Map(this.s.nameRows.all())
    for (const [name, rows] of this.s.srcRows.all()) packages.set(name, (packages.get(name) ?? 0) + rows)
    for (const [name, rows] of packages) if (rows > pageSize) packages.set(name, this.s.packageCount.get(name, name)!.n)
    return { cves, packages }
  }
}

function grouped (rows: Array<{ pk: number, v: string }>): Map<number, string[]> {
  const map = new Map<number, string[]>()
  for (const { pk, v } of rows) {
    const list = map.get(pk)
    if (list === undefined) map.set(pk, [v])
    else list.push(v)
  }
  return map
}
