// Reads a test database back, for assertions.
import Database from 'better-sqlite3'

export function readRows<T = Record<string, unknown>> (dbPath: string, sql: string, ...params: unknown[]): T[] {
  const db = new Database(dbPath, { readonly: true })
  try { return db.prepare(sql).all(...params) as T[] } finally { db.close() }
}

/** Every row of every advisory table, to prove that a refused ingest changed nothing. */
export function snapshot (dbPath: string): string {
  const db = new Database(dbPath, { readonly: true })
  try {
    const tables = ['product', 'advisory', 'advisory_repo', 'advisory_reference', 'advisory_cve', 'advisory_collection', 'advisory_module', 'advisory_package', 'advisory_history', 'meta']
    return JSON.stringify(tables.map((t) => db.prepare(`SELECT * FROM ${t} ORDER BY 1, 2`).all()))
  } finally { db.close() }
}
