// Read-only figures about what the database holds: counts, products and repos with their ingest state,
// the filter vocabularies, and the data's version stamps that HTTP caching keys on.
import { createHash } from 'node:crypto'
import type { Db } from './open.js'

/** A product's signing key as pages and the API show it: the facts last read, and the last read's outcome. */
export interface SigningKey {
  /** What `rpm --import` is shown with; null: only the file's name is known (a key read from a local file). */
  import_url: string | null
  file_name: string
  fingerprint: string | null
  user_id: string | null
  created: string | null
  last_run_at: string | null
  status: 'ok' | 'failed' | null
  error: string | null
}

export interface ProductSummary {
  id: string
  name: string
  advisories: number
  withdrawn: number
  /** As configured: yum, dnf, zypper or none; null when the advisory ids decide. */
  package_manager: string | null
  source_repo: string | null
  signing_key: SigningKey | null
}

export interface KeyRow { source: string, import_url: string | null, fingerprint: string | null, user_id: string | null, created: string | null, last_run_at: string | null, last_status: 'ok' | 'failed' | null, last_error: string | null }

/** The columns of signing_key that KeyRow reads (table alias k). */
export const keyColumns = 'k.source, k.import_url, k.fingerprint, k.user_id, k.created, k.last_run_at, k.last_status, k.last_error'

/** A signing_key row as shown: where it is read from stays out (it may be a local path), only its file name shows. */
export function signingKey (row: KeyRow | undefined): SigningKey | null {
  if (row === undefined) return null
  const path = row.source.replace(/[?#].*$/, '')
  return {
    import_url: row.import_url,
    file_name: path.slice(path.lastIndexOf('/') + 1),
    fingerprint: row.fingerprint,
    user_id: row.user_id,
    created: row.created,
    last_run_at: row.last_run_at,
    status: row.last_status,
    error: row.last_error
  }
}

export interface RepoStatus {
  id: number
  productId: string
  name: string | null
  url: string
  baseUrl: string | null
  lastRunAt: string | null
  lastSuccessAt: string | null
  lastStatus: string | null
  lastError: string | null
}

export interface Vocabulary { products: Array<{ id: string, name: string }>, severities: string[], types: string[] }

/** Versions of the data: `generation` for advisories, `stateGeneration` for repo ingest state. */
export interface DataStamp { generation: number, changedAt: string, stateGeneration: number, lastRunAt: string | null }

export class SummaryStore {
  private readonly s

  constructor (db: Db) {
    this.s = {
      // Products and repos in use: a repo removed by the operator (`repos remove --withdraw`), and a product
      // left with no other, are not shown; the product's advisories keep their pages (allProducts).
      // Counts from the kept counts (migration 0007): a product's advisories are not counted one by one.
      products: db.prepare<[], Omit<ProductSummary, 'signing_key'>>(`SELECT p.id, p.name,
          (SELECT coalesce(sum(c.n), 0) FROM advisory_count c WHERE c.product_id = p.id) AS advisories,
          (SELECT coalesce(sum(c.n), 0) FROM advisory_count c WHERE c.product_id = p.id AND c.withdrawn = 1) AS withdrawn,
          p.package_manager, p.source_repo
        FROM product p WHERE EXISTS (SELECT 1 FROM repo r WHERE r.product_id = p.id AND r.removed_at IS NULL) ORDER BY p.id`),
      allProducts: db.prepare<[], { id: string, name: string }>('SELECT id, name FROM product ORDER BY id'),
      repos: db.prepare<[], RepoStatus>(`SELECT id, product_id AS productId, name, url, base_url AS baseUrl,
        last_run_at AS lastRunAt, last_success_at AS lastSuccessAt, last_status AS lastStatus, last_error AS lastError
        FROM repo WHERE removed_at IS NULL ORDER BY product_id, name, url`),
      settings: db.prepare<[], { id: string, package_manager: string | null, source_repo: string | null }>('SELECT id, package_manager, source_repo FROM product ORDER BY id'),
      keys: db.prepare<[], KeyRow & { product_id: string }>(`SELECT k.product_id, ${keyColumns} FROM signing_key k`),
      total: db.prepare<[], { n: number }>('SELECT coalesce(sum(n), 0) AS n FROM advisory_count'),
      // In the order the severity index gave them before the counts were kept (text order).
      severities: db.prepare<[], { v: string }>('SELECT DISTINCT severity AS v FROM advisory_count WHERE severity IS NOT NULL AND n > 0 ORDER BY severity'),
      types: db.prepare<[], { v: string }>('SELECT DISTINCT type AS v FROM advisory_count WHERE type IS NOT NULL AND n > 0 ORDER BY type'),
      meta: db.prepare<[], { key: string, value: string }>('SELECT key, value FROM meta'),
      lastRun: db.prepare<[], { v: string | null }>('SELECT max(last_run_at) AS v FROM repo')
    }
  }

  advisoryCount (): number { return this.s.total.get()!.n }
  /** Products with a repo in use (the products page, the API, metrics). */
  products (): ProductSummary[] {
    const keys = new Map(this.s.keys.all().map((k) => [k.product_id, k]))
    return this.s.products.all().map((p) => ({ ...p, signing_key: signingKey(keys.get(p.id)) }))
  }

  repos (): RepoStatus[] { return this.s.repos.all() }

  /**
   * Which repos are failing and why, as one short key: what the static export's products page must follow
   * (the worker exports again when it moves). Times and ok-versus-unchanged are left out: they move every run.
   */
  repoHealthKey (): string {
    const health = this.repos().map((r) => [r.productId, r.url, r.lastStatus === 'failed' ? r.lastError ?? 'failed' : 'ok'])
    // A signing key that cannot be read is shown as a failed repo is.
    for (const k of this.s.keys.all()) health.push([k.product_id, 'signing key', k.last_status === 'failed' ? k.last_error ?? 'failed' : 'ok'])
    health.sort()
    return createHash('sha256').update(JSON.stringify(health)).digest('hex').slice(0, 16)
  }

  /**
   * What every advisory page, API document and OSV record of a product shows of its configuration (package
   * manager, source repo, signing key facts), as one short key: a static export that keys documents on the
   * advisories alone must render them again when this moves.
   */
  productSettingsKey (): string {
    const keys = new Map(this.s.keys.all().map((k) => [k.product_id, signingKey(k)]))
    // Every product, also one whose repos were all removed: its withdrawn advisories keep their pages.
    const shown = this.s.settings.all().map((p) => {
      const k = keys.get(p.id) ?? null
      return [p.id, p.package_manager, p.source_repo, k === null ? null : [k.import_url, k.file_name, k.fingerprint, k.user_id, k.created]]
    })
    return createHash('sha256').update(JSON.stringify(shown)).digest('hex').slice(0, 16)
  }

  vocabulary (): Vocabulary {
    return {
      products: this.s.allProducts.all(),
      severities: this.s.severities.all().map((r) => r.v),
      types: this.s.types.all().map((r) => r.v)
    }
  }

  stamp (): DataStamp {
    const meta = new Map(this.s.meta.all().map((r) => [r.key, r.value]))
    return {
      generation: Number(meta.get('data_generation') ?? 0),
      changedAt: meta.get('data_changed_at') ?? '1970-01-01T00:00:00Z',
      stateGeneration: Number(meta.get('state_generation') ?? 0),
      lastRunAt: this.s.lastRun.get()?.v ?? null
    }
  }
}
