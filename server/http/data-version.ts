// Knows the data's version without asking the database on every request: ingests write through their own
// connection, and every commit touches the database's -wal file (or, after a checkpoint, the file itself).
// A stat of both (a syscall, no SQL) tells whether the version needs to be read again.
import { statSync } from 'node:fs'
import type { DataStamp, SummaryStore } from '../../db/summary-store.js'

export class DataVersion {
  private fingerprint = ''
  private stamp: DataStamp | null = null

  constructor (private readonly dbPath: string, private readonly summary: SummaryStore) {}

  current (): DataStamp {
    const fingerprint = `${fileState(this.dbPath)}|${fileState(`${this.dbPath}-wal`)}`
    if (this.stamp === null || fingerprint !== this.fingerprint) {
      this.stamp = this.summary.stamp()
      this.fingerprint = fingerprint
    }
    return this.stamp
  }
}

function fileState (path: string): string {
  const s = statSync(path, { throwIfNoEntry: false })
  return s === undefined ? '-' : `${s.ino}:${s.size}:${s.mtimeMs}:${s.ctimeMs}`
}
