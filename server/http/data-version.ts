// Knows the data's version without asking the database on every request: ingests write through their own
// connection, and every commit touches the database's -wal file (or, after a checkpoint, the file itself).
// A stat of both (a syscall, no SQL) tells whether the version needs to be read again. It is made once per
// turn of the event loop, not once per request (docs/benchmarks.md: under load the two stats cost more than
// the rest of a cached answer's own work): requests read from their sockets in one turn were sent before it
// began, so each still sees every commit that finished before it was sent. And once more after the server read
// the database: a commit made meanwhile by another connection of this process (the tests make one in the
// middle of a render) is seen by the next request, even in the same turn.
import { statSync } from 'node:fs'
import type { DataStamp, SummaryStore } from '../../db/summary-store.js'

export class DataVersion {
  private fingerprint = ''
  private stamp: DataStamp | null = null
  /** True from the first stat of a turn of the event loop until that turn's check phase. */
  private checked = false
  private readonly forget = (): void => { this.checked = false }

  constructor (private readonly dbPath: string, private readonly summary: SummaryStore) {}

  current (): DataStamp {
    if (this.checked && this.stamp !== null) return this.stamp
    const fingerprint = `${fileState(this.dbPath)}|${fileState(`${this.dbPath}-wal`)}`
    if (this.stamp === null || fingerprint !== this.fingerprint) {
      this.stamp = this.summary.stamp()
      this.fingerprint = fingerprint
    }
    this.checked = true
    setImmediate(this.forget)
    return this.stamp
  }

  /** The next request stats the files again (called when a read transaction ends). */
  recheck (): void {
    this.checked = false
  }
}

function fileState (path: string): string {
  const s = statSync(path, { throwIfNoEntry: false })
  return s === undefined ? '-' : `${s.ino}:${s.size}:${s.mtimeMs}:${s.ctimeMs}`
}
