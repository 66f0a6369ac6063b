// Reads a test database back, for assertions.
import Database from 'better-sqlite3'

export function readRows<T = Record<string, unknown>> (dbPath: string, sql: string, ...params: unknown[]): T[] {
  const db = new Database(dbPath, { readonly: true })
  try { return db.prepare(sql).all(...params) as T[] } finally { db.close() }
}

/**
 * Every row of every advisory table, the log of changed advisories and the search index, to prove that a refused
 * ingest changed nothing. state_generation is left out: it counts ingest runs, which a refused run is too; so is
 * database_id, each database's own (two databases that read the same files compare equal).
 */
export function snapshot (dbPath: string): string {
  const db = new Database(dbPath, { readonly: true })
  try {
    const tables = ['product', 'advisory', 'advisory_repo', 'advisory_reference', 'advisory_cve', 'advisory_collection', 'advisory_module', 'advisory_package', 'advisory_history', 'advisory_log']
    const rows = tables.map((t) => db.prepare(`SELECT * FROM ${t} ORDER BY 1, 2`).all())
    rows.push(db.prepare('SELECT rowid, * FROM advisory_fts ORDER BY rowid').all())
    rows.push(db.prepare("SELECT * FROM meta WHERE key NOT IN ('state_generation', 'database_id') ORDER BY key").all())
    return JSON.stringify(rows)
  } finally { db.close() }
}

export interface DbState { integrity: string, advisories: number, packages: number, cves: number, search: number, generation: string, withdrawn: number }

/** Opened read-write, as the next ingest would, so a killed writer's WAL is recovered first. */
export function dbState (dbPath: string): DbState {
  const db = new Database(dbPath)
  try {
    const one = (sql: string): unknown => db.prepare(sql).pluck().get()
    return {
      integrity: db.pragma('integrity_check', { simple: true }) as string,
      advisories: one('SELECT count(*) FROM advisory') as number,
      packages: one('SELECT count(*) FROM advisory_package') as number,
      cves: one('SELECT count(*) FROM advisory_cve') as number,
      search: one('SELECT count(*) FROM advisory_fts') as number,
      generation: one("SELECT value FROM meta WHERE key = 'data_generation'") as string,
      withdrawn: one('SELECT count(*) FROM advisory WHERE withdrawn = 1') as number
    }
  } finally { db.close() }
}
