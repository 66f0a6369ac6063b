// Read-only figures about what the database holds: counts, products and repos with their ingest state,
// the filter vocabularies, and the data's version stamps that HTTP caching keys on.
import { createHash } from 'node:crypto'
import type { Db } from './open.js'

export interface ProductSummary { id: string, name: string, advisories: number, withdrawn: number }

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
      products: db.prepare<[], ProductSummary>(`SELECT p.id, p.name,
          (SELECT count(*) FROM advisory a WHERE a.product_id = p.id) AS advisories,
          (SELECT count(*) FROM advisory a WHERE a.product_id = p.id AND a.withdrawn = 1) AS withdrawn
        FROM product p WHERE EXISTS (SELECT 1 FROM repo r WHERE r.product_id = p.id AND r.removed_at IS NULL) ORDER BY p.id`),
      allProducts: db.prepare<[], { id: string, name: string }>('SELECT id, name FROM product ORDER BY id'),
      repos: db.prepare<[], RepoStatus>(`SELECT id, product_id AS productId, name, url, base_url AS baseUrl,
        last_run_at AS lastRunAt, last_success_at AS lastSuccessAt, last_status AS lastStatus, last_error AS lastError
        FROM repo WHERE removed_at IS NULL ORDER BY product_id, name, url`),
      total: db.prepare<[], { n: number }>('SELECT count(*) AS n FROM advisory'),
      severities: db.prepare<[], { v: string }>('SELECT DISTINCT severity AS v FROM advisory WHERE severity IS NOT NULL'),
      types: db.prepare<[], { v: string }>('SELECT DISTINCT type AS v FROM advisory WHERE type IS NOT NULL ORDER BY type'),
      meta: db.prepare<[], { key: string, value: string }>('SELECT key, value FROM meta'),
      lastRun: db.prepare<[], { v: string | null }>('SELECT max(last_run_at) AS v FROM repo')
    }
  }

  advisoryCount (): number { return this.s.total.get()!.n }
  /** Products with a repo in use (the products page, the API, metrics). */
  products (): ProductSummary[] { return this.s.products.all() }
  repos (): RepoStatus[] { return this.s.repos.all() }

  /**
   * Which repos are failing and why, as one short key: what the static export's products page must follow
   * (the worker exports again when it moves). Times and ok-versus-unchanged are left out: they move every run.
   */
  repoHealthKey (): string {
    const health = this.repos().map((r) => [r.productId, r.url, r.lastStatus === 'failed' ? r.lastError ?? 'failed' : 'ok']).sort()
    return createHash('sha256').update(JSON.stringify(health)).digest('hex').slice(0, 16)
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
