// One advisory with everything its page, feed item and API record show: the union of what each of the
// product's repos lists, duplicates removed. Rows leave SQL in the API's field names (column aliases).
import { withFlags, type Stored } from './flags.js'
import type { Db } from './open.js'
import { keyColumns, signingKey, type KeyRow, type SigningKey } from './summary-store.js'

/** What every read of an advisory starts with (lists, feeds, pages, API): the API's names, plus pk. */
export interface AdvisoryHead {
  pk: number
  product: string
  product_name: string
  id: string
  type: string | null
  severity: string | null
  title: string | null
  issued: string | null
  issued_raw: string | null
  updated: string | null
  updated_raw: string | null
  withdrawn: boolean
  reboot_suggested: boolean
  /** The product's configured package manager; null: the id decides (domain/update-command.ts). */
  package_manager: string | null
}

/** AdvisoryHead's columns, selected from `advisory a JOIN product p ON p.id = a.product_id`. */
export const headColumns = `a.pk, a.product_id AS product, p.name AS product_name, a.id, a.type, a.severity, a.title,
  a.issued, a.issued_raw, a.updated, a.updated_raw, a.withdrawn, a.reboot_suggested, p.package_manager`

export const headFlags = ['withdrawn', 'reboot_suggested'] as const

export interface PackageRow {
  name: string
  epoch: string
  version: string
  release: string
  arch: string
  src: string | null
  src_name: string | null
  filename: string | null
  collection: string | null
  reboot_suggested: boolean
}

export interface ReferenceRow { type: string | null, id: string | null, href: string | null, title: string | null }

export interface ModuleRow { name: string | null, stream: string | null, version: string | null, context: string | null, arch: string | null }

export interface HistoryRow { changed_at: string, run_id: number, issued: string | null, issued_raw: string | null, updated: string | null, updated_raw: string | null }

/** A withdrawal or reinstatement, as it happened (recorded since migration 0005). */
export interface EventRow { at: string, kind: 'withdrawn' | 'reinstated', /** null: by `npm run repos -- remove --withdraw` */ run_id: number | null }

export interface AdvisoryDetail extends AdvisoryHead {
  status: string | null
  version: string | null
  from: string | null
  severity_raw: string | null
  summary: string | null
  description: string | null
  solution: string | null
  rights: string | null
  release: string | null
  withdrawn_at: string | null
  first_seen: string
  last_changed: string
  cves: string[]
  references: ReferenceRow[]
  packages: PackageRow[]
  modules: ModuleRow[]
  history: HistoryRow[]
  events: EventRow[]
  /** The product's source repo id (`epll-source`) and signing key, from its configuration. */
  source_repo: string | null
  signing_key: SigningKey | null
}

type DetailColumns = Omit<AdvisoryDetail, 'cves' | 'references' | 'packages' | 'modules' | 'history' | 'events' | 'signing_key'>

export class AdvisoryReader {
  private readonly s

  constructor (db: Db) {
    this.s = {
      advisory: db.prepare<[string, string], Stored<DetailColumns, typeof headFlags[number]>>(`SELECT ${headColumns},
          a.status, a.version, a.from_address AS "from", a.severity_raw, a.summary, a.description, a.solution, a.rights,
          a.release, a.withdrawn_at, a.first_seen, a.last_changed, p.source_repo
        FROM advisory a JOIN product p ON p.id = a.product_id WHERE a.product_id = ? AND a.id = ?`),
      productsOf: db.prepare<[string], { product_id: string }>('SELECT product_id FROM advisory WHERE id = ? ORDER BY product_id'),
      cves: db.prepare<[number], { cve: string }>('SELECT DISTINCT cve FROM advisory_cve WHERE advisory_pk = ? ORDER BY cve'),
      references: db.prepare<[number], ReferenceRow>(`SELECT type, ref_id AS id, href, title FROM advisory_reference
        WHERE advisory_pk = ? ORDER BY repo_id, seq`),
      packages: db.prepare<[number], Stored<PackageRow, 'reboot_suggested'>>(`SELECT p.name, p.epoch, p.version, p.release, p.arch,
          p.src, p.src_name, p.filename, coalesce(c.name, c.short) AS collection, p.reboot_suggested
        FROM advisory_package p JOIN advisory_collection c ON c.pk = p.collection_pk
        WHERE p.advisory_pk = ? ORDER BY p.arch, p.name, p.repo_id, c.seq, p.seq`),
      modules: db.prepare<[number], ModuleRow>(`SELECT m.name, m.stream, m.version, m.context, m.arch FROM advisory_module m
        JOIN advisory_collection c ON c.pk = m.collection_pk WHERE c.advisory_pk = ? ORDER BY c.repo_id, c.seq, m.seq`),
      history: db.prepare<[number], HistoryRow>(`SELECT changed_at, run_id, issued, issued_raw, updated, updated_raw
        FROM advisory_history WHERE advisory_pk = ? ORDER BY changed_at DESC, rowid DESC`),
      events: db.prepare<[number], EventRow>('SELECT at, kind, run_id FROM advisory_event WHERE advisory_pk = ? ORDER BY at, rowid'),
      key: db.prepare<[string], KeyRow>(`SELECT ${keyColumns} FROM signing_key k WHERE k.product_id = ?`)
    }
  }

  /** The products that hold an advisory with this id (an id may be reused across products). */
  productsOf (id: string): string[] {
    return this.s.productsOf.all(id).map((r) => r.product_id)
  }

  get (product: string, id: string): AdvisoryDetail | null {
    const row = this.s.advisory.get(product, id)
    if (row === undefined) return null
    const pk = row.pk
    return {
      ...withFlags(row, headFlags),
      cves: this.s.cves.all(pk).map((r) => r.cve),
      references: unique(this.s.references.all(pk), (r) => `${r.type ?? ''}\n${r.id ?? ''}\n${r.href ?? ''}`),
      packages: unique(this.s.packages.all(pk), (p) => `${p.name}\n${p.epoch}\n${p.version}\n${p.release}\n${p.arch}`)
        .map((p) => withFlags(p, ['reboot_suggested'])),
      modules: unique(this.s.modules.all(pk), (m) => `${m.name ?? ''}:${m.stream ?? ''}:${m.version ?? ''}:${m.context ?? ''}:${m.arch ?? ''}`),
      history: this.s.history.all(pk),
      events: this.s.events.all(pk),
      signing_key: signingKey(this.s.key.get(row.product))
    }
  }
}

// Two repos of one product often list the same package or reference: show it once.
function unique<T> (rows: T[], key: (row: T) => string): T[] {
  const seen = new Set<string>()
  return rows.filter((row) => {
    const k = key(row)
    if (seen.has(k)) return false
    seen.add(k)
    return true
  })
}
