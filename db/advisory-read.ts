// One advisory with everything its page, feed item and API record show: the union of what each of the
// product's repos lists, duplicates removed.
import type { Db } from './open.js'

export interface PackageRow {
  name: string
  epoch: string
  version: string
  release: string
  arch: string
  src: string | null
  srcName: string | null
  filename: string | null
  collection: string | null
  rebootSuggested: boolean
}

export interface ReferenceRow { type: string | null, id: string | null, href: string | null, title: string | null }

export interface ModuleRow { name: string | null, stream: string | null, version: string | null, context: string | null, arch: string | null }

export interface HistoryRow { changedAt: string, issued: string | null, issuedRaw: string | null, updated: string | null, updatedRaw: string | null }

export interface AdvisoryDetail {
  pk: number
  product: string
  productName: string
  id: string
  type: string | null
  status: string | null
  version: string | null
  from: string | null
  title: string | null
  issued: string | null
  issuedRaw: string | null
  updated: string | null
  updatedRaw: string | null
  severity: string | null
  severityRaw: string | null
  summary: string | null
  description: string | null
  solution: string | null
  rights: string | null
  release: string | null
  rebootSuggested: boolean
  withdrawn: boolean
  withdrawnAt: string | null
  firstSeen: string
  lastChanged: string
  cves: string[]
  references: ReferenceRow[]
  packages: PackageRow[]
  modules: ModuleRow[]
  history: HistoryRow[]
}

interface AdvisoryRow {
  pk: number
  product_id: string
  product_name: string
  id: string
  type: string | null
  status: string | null
  version: string | null
  from_address: string | null
  title: string | null
  issued: string | null
  issued_raw: string | null
  updated: string | null
  updated_raw: string | null
  severity: string | null
  severity_raw: string | null
  summary: string | null
  description: string | null
  solution: string | null
  rights: string | null
  release: string | null
  reboot_suggested: number
  withdrawn: number
  withdrawn_at: string | null
  first_seen: string
  last_changed: string
}

interface PackageDbRow {
  name: string
  epoch: string
  version: string
  release: string
  arch: string
  src: string | null
  src_name: string | null
  filename: string | null
  collection: string | null
  reboot_suggested: number
}

export class AdvisoryReader {
  private readonly s

  constructor (db: Db) {
    this.s = {
      advisory: db.prepare<[string, string], AdvisoryRow>(`SELECT a.*, p.name AS product_name FROM advisory a
        JOIN product p ON p.id = a.product_id WHERE a.product_id = ? AND a.id = ?`),
      productsOf: db.prepare<[string], { product_id: string }>('SELECT product_id FROM advisory WHERE id = ? ORDER BY product_id'),
      cves: db.prepare<[number], { cve: string }>('SELECT DISTINCT cve FROM advisory_cve WHERE advisory_pk = ? ORDER BY cve'),
      references: db.prepare<[number], ReferenceRow>(`SELECT type, ref_id AS id, href, title FROM advisory_reference
        WHERE advisory_pk = ? ORDER BY repo_id, seq`),
      packages: db.prepare<[number], PackageDbRow>(`SELECT p.name, p.epoch, p.version, p.release, p.arch, p.src, p.src_name,
          p.filename, coalesce(c.name, c.short) AS collection, p.reboot_suggested
        FROM advisory_package p JOIN advisory_collection c ON c.pk = p.collection_pk
        WHERE p.advisory_pk = ? ORDER BY p.arch, p.name, p.repo_id, c.seq, p.seq`),
      modules: db.prepare<[number], ModuleRow>(`SELECT m.name, m.stream, m.version, m.context, m.arch FROM advisory_module m
        JOIN advisory_collection c ON c.pk = m.collection_pk WHERE c.advisory_pk = ? ORDER BY c.repo_id, c.seq, m.seq`),
      history: db.prepare<[number], HistoryRow>(`SELECT changed_at AS changedAt, issued, issued_raw AS issuedRaw, updated,
        updated_raw AS updatedRaw FROM advisory_history WHERE advisory_pk = ? ORDER BY changed_at DESC, rowid DESC`)
    }
  }

  /** The products that hold an advisory with this id (an id may be reused across products). */
  productsOf (id: string): string[] {
    return this.s.productsOf.all(id).map((r) => r.product_id)
  }

  get (product: string, id: string): AdvisoryDetail | null {
    const a = this.s.advisory.get(product, id)
    if (a === undefined) return null
    return {
      pk: a.pk,
      product: a.product_id,
      productName: a.product_name,
      id: a.id,
      type: a.type,
      status: a.status,
      version: a.version,
      from: a.from_address,
      title: a.title,
      issued: a.issued,
      issuedRaw: a.issued_raw,
      updated: a.updated,
      updatedRaw: a.updated_raw,
      severity: a.severity,
      severityRaw: a.severity_raw,
      summary: a.summary,
      description: a.description,
      solution: a.solution,
      rights: a.rights,
      release: a.release,
      rebootSuggested: a.reboot_suggested === 1,
      withdrawn: a.withdrawn === 1,
      withdrawnAt: a.withdrawn_at,
      firstSeen: a.first_seen,
      lastChanged: a.last_changed,
      cves: this.s.cves.all(a.pk).map((r) => r.cve),
      references: unique(this.s.references.all(a.pk), (r) => `${r.type ?? ''}\n${r.id ?? ''}\n${r.href ?? ''}`),
      packages: unique(this.s.packages.all(a.pk).map(toPackage), (p) => `${p.name}\n${p.epoch}\n${p.version}\n${p.release}\n${p.arch}`),
      modules: unique(this.s.modules.all(a.pk), (m) => `${m.name ?? ''}:${m.stream ?? ''}:${m.version ?? ''}:${m.context ?? ''}:${m.arch ?? ''}`),
      history: this.s.history.all(a.pk)
    }
  }
}

function toPackage (p: PackageDbRow): PackageRow {
  return {
    name: p.name,
    epoch: p.epoch,
    version: p.version,
    release: p.release,
    arch: p.arch,
    src: p.src,
    srcName: p.src_name,
    filename: p.filename,
    collection: p.collection,
    rebootSuggested: p.reboot_suggested === 1
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
