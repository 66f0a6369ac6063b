// The secondary indexes a bulk write drops and builds again at its end, inside the repo's transaction: one
// sorted build of an index is about three times cheaper than keeping it current row by row (measured on
// 20,000 advisories x 8 packages, docs/benchmarks.md "Ingest"). A rollback brings them back as they were.
import type { Db } from './open.js'

/**
 * Only indexes the writer never reads while it writes (the lists', the search filters'): the lookups by
 * advisory, repo and collection stay, as do the ones foreign-key checks use (advisory_package_collection)
 * and the UNIQUE and primary keys. An index not in this list (a later migration's) is simply kept current.
 */
const droppable = [
  'advisory_issued', 'advisory_updated', 'advisory_severity', 'advisory_type', 'advisory_list_order',
  'advisory_product_list_order', 'advisory_updated_order', 'advisory_package_name', 'advisory_package_src_name',
  'advisory_cve_cve'
]

export class BulkIndexes {
  private dropped: Array<{ name: string, sql: string }> = []

  constructor (private readonly db: Db) {}

  get active (): boolean { return this.dropped.length > 0 }

  /** Drops them (inside the caller's transaction), keeping each one's definition as the schema holds it. */
  drop (): void {
    if (this.active) return
    const marks = droppable.map(() => '?').join(', ')
    this.dropped = this.db.prepare<string[], { name: string, sql: string }>(
      `SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND name IN (${marks})`).all(...droppable)
    for (const { name } of this.dropped) this.db.exec(`DROP INDEX "${name}"`)
  }

  /** Builds them again from their definitions; before the commit, so no reader ever sees them missing. */
  rebuild (): void {
    for (const { sql } of this.dropped) this.db.exec(sql)
    this.dropped = []
  }

  /** After a rollback, which restored them itself. */
  forget (): void {
    this.dropped = []
  }
}
