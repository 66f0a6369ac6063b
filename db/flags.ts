// SQLite has no booleans: a flag column reads as 0 or 1. Read models name their flag columns once here.

/** A row as SQLite returns it: the flag columns K of the read model T hold 0 or 1. */
export type Stored<T, K extends keyof T> = { [P in keyof T]: P extends K ? number : T[P] }

/** The row with its flag columns turned into booleans, in place (rows are fresh objects from better-sqlite3). */
export function withFlags<T, K extends keyof T> (row: Stored<T, K>, flags: readonly K[]): T {
  const r = row as Record<K, unknown>
  for (const flag of flags) r[flag] = r[flag] === 1
  return row as T
}
