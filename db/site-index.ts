// Every advisory of the site in one pass: the sitemap and the static export walk the whole database, and four
// queries over whole tables (one sort) cost a fraction of paging through the list (a sort per page).
import type { Db } from './open.js'

/** One advisory as the site's index holds it, in the lists' default order (newest issued first). */
export interface IndexedAdvisory {
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
  cves: string[]
  /** Binary and source package names. */
  names: string[]
}

export class SiteIndex {
  private readonly s

  constructor (db: Db) {
    this.s = {
      // The order of the HTML lists, feeds and API pages (db/advisory-query.ts: orderBy, listAfter).
      advisories: db.prepare<[], { pk: number, product: string, id: string, severity: string | null, withdrawn: number, newest: string | null, last_changed: string }>(
        `SELECT pk, product_id AS product, id, severity, withdrawn, coalesce(updated, issued) AS newest, last_changed FROM advisory
        ORDER BY coalesce(issued, '') DESC, id DESC, product_id DESC`),
      repos: db.prepare<[], { pk: number, v: string }>(`SELECT advisory_pk AS pk, group_concat(repo_id || ':' || content_hash || ':' || present, ' ') AS v
        FROM (SELECT advisory_pk, repo_id, content_hash, present FROM advisory_repo ORDER BY advisory_pk, repo_id) GROUP BY advisory_pk`),
      cves: db.prepare<[], { pk: number, v: string }>('SELECT DISTINCT advisory_pk AS pk, cve AS v FROM advisory_cve ORDER BY 1, 2'),
      // Unsorted and with repeats: a UNION would sort every package row; the names are deduplicated below.
      names: db.prepare<[], { pk: number, name: string, src: string | null }>('SELECT advisory_pk AS pk, name, src_name AS src FROM advisory_package')
    }
  }

  /** Call inside one read snapshot. */
  read (): IndexedAdvisory[] {
    const repos = new Map(this.s.repos.all().map((r) => [r.pk, r.v]))
    const cves = grouped(this.s.cves.all())
    const names = new Map<number, Set<string>>()
    for (const { pk, name, src } of this.s.names.iterate()) {
      let set = names.get(pk)
      if (set === undefined) names.set(pk, set = new Set())
      set.add(name)
      if (src !== null) set.add(src)
    }
    return this.s.advisories.all().map((a) => ({
      pk: a.pk,
      product: a.product,
      id: a.id,
      severity: a.severity,
      withdrawn: a.withdrawn === 1,
      newest: a.newest,
      version: `${a.last_changed} ${a.withdrawn} ${repos.get(a.pk) ?? ''}`,
      cves: cves.get(a.pk) ?? [],
      names: [...names.get(a.pk) ?? []].sort()
    }))
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
