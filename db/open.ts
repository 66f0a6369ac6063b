// Opens the SQLite database the same way for every program: WAL, foreign keys, busy timeout.
import Database from 'better-sqlite3'
import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'

export type Db = Database.Database

export interface OpenOptions {
  readonly?: boolean
  busyTimeoutMs?: number
}

export function openDatabase (path: string, options: OpenOptions = {}): Db {
  if (!options.readonly) mkdirSync(dirname(path), { recursive: true })
  const db = new Database(path, { readonly: options.readonly ?? false, fileMustExist: options.readonly ?? false })
  db.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 5000}`)
  if (!options.readonly) {
    db.pragma('journal_mode = WAL')
    // FULL: a committed ingest survives power loss, not only a killed process.
    db.pragma('synchronous = FULL')
  }
  db.pragma('foreign_keys = ON')
  return db
}
