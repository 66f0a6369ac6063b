// Read-only figures about what the database holds, for /healthz and the start page.
import type { Db } from './open.js'

export interface ProductSummary { id: string, name: string, advisories: number, withdrawn: number }

export class SummaryStore {
  private readonly s

  constructor (db: Db) {
    this.s = {
      products: db.prepare<[], ProductSummary>(`SELECT p.id, p.name,
          (SELECT count(*) FROM advisory a WHERE a.product_id = p.id) AS advisories,
          (SELECT count(*) FROM advisory a WHERE a.product_id = p.id AND a.withdrawn = 1) AS withdrawn
        FROM product p ORDER BY p.id`),
      total: db.prepare<[], { n: number }>('SELECT count(*) AS n FROM advisory'),
      generation: db.prepare<[], { value: string }>("SELECT value FROM meta WHERE key = 'data_generation'")
    }
  }

  advisoryCount (): number { return this.s.total.get()!.n }
  products (): ProductSummary[] { return this.s.products.all() }
  dataGeneration (): number { return Number(this.s.generation.get()?.value ?? 0) }
}
