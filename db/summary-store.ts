// Read-only figures about what the database holds: counts, products and repos with their ingest state,
// the filter vocabularies, and the data's version stamps that HTTP caching keys on.
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
      products: db.prepare<[], ProductSummary>(`SELECT p.id, p.name,
          (SELECT count(*) FROM advisory a WHERE a.product_id = p.id) AS advisories,
          (SELECT count(*) FROM advisory a WHERE a.product_id = p.id AND a.withdrawn = 1) AS withdrawn
        FROM product p ORDER BY p.id`),
      repos: db.prepare<[], RepoStatus>(`SELECT id, product_id AS productId, name, url, base_url AS baseUrl,
        last_run_at AS lastRunAt, last_success_at AS lastSuccessAt, last_status AS lastStatus, last_error AS lastError
        FROM repo ORDER BY product_id, name, url`),
      total: db.prepare<[], { n: number }>('SELECT count(*) AS n FROM advisory'),
      severities: db.prepare<[], { v: string }>('SELECT DISTINCT severity AS v FROM advisory WHERE severity IS NOT NULL'),
      types: db.prepare<[], { v: string }>('SELECT DISTINCT type AS v FROM advisory WHERE type IS NOT NULL ORDER BY type'),
      meta: db.prepare<[], { key: string, value: string }>('SELECT key, value FROM meta'),
      lastRun: db.prepare<[], { v: string | null }>('SELECT max(last_run_at) AS v FROM repo')
    }
  }

  advisoryCount (): number { return this.s.total.get()!.n }
  products (): ProductSummary[] { return this.s.products.all() }
  repos (): RepoStatus[] { return this.s.repos.all() }

  vocabulary (): Vocabulary {
    return {
      products: this.s.products.all().map((p) => ({ id: p.id, name: p.name })),
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
