// One ingest at a time per database. The lock is an exclusive SQLite lock on a side file, so the
// operating system releases it when the process dies, even by SIGKILL: no stale lock files.
import Database from 'better-sqlite3'
import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'

export class LockError extends Error { override name = 'LockError' }

export interface IngestLock { release: () => void }

export function acquireIngestLock (dbPath: string, waitMs: number): IngestLock {
  const lockPath = `${dbPath}.ingest-lock`
  // A first ingest may name a database in a folder that does not exist yet: the lock comes first.
  mkdirSync(dirname(lockPath), { recursive: true })
  const lockDb = new Database(lockPath)
  lockDb.pragma(`busy_timeout = ${Math.max(0, waitMs)}`)
  lockDb.pragma('locking_mode = EXCLUSIVE')
  try {
    lockDb.exec('BEGIN EXCLUSIVE')
  } catch (err) {
    lockDb.close()
    if ((err as { code?: string }).code === 'SQLITE_BUSY') {
      throw new LockError(`another ingest is running on ${dbPath} (lock ${lockPath} is held)${waitMs > 0 ? ` and did not finish within ${waitMs} ms` : ''}; try again when it has finished, or pass --wait`)
    }
    throw err
  }
  return {
    release: () => {
      if (lockDb.open) {
        lockDb.exec('ROLLBACK')
        lockDb.close()
      }
    }
  }
}
