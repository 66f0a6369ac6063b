// Products, repos, their per-repo ingest state (last checksum, ETag) and the ingest run log.
import type { Db } from './open.js'
import { upsertProductSql } from './product-store.js'

export interface RepoState {
  id: number
  product_id: string
  url: string
  base_url: string | null
  checksum_type: string | null
  checksum: string | null
  repomd_etag: string | null
  repomd_last_modified: string | null
  /** Of the repomd.xml last ingested (migration 0003): a mirror going back from them is stale. */
  repomd_revision: string | null
  repomd_timestamp: string | null
}

export interface RepoLogEntry {
  runId: number
  repoId: number
  url: string
  startedAt: string
  finishedAt: string
  status: 'ok' | 'unchanged' | 'failed'
  checksum: string | null
  added: number
  changed: number
  unchanged: number
  withdrawn: number
  skipped: number
  error: string | null
}

export class RepoStore {
  private readonly s

  constructor (private readonly db: Db) {
    this.s = {
      upsertProduct: db.prepare(upsertProductSql),
      // A repo removed with --withdraw that the configuration names again is back in use.
      upsertRepo: db.prepare(`INSERT INTO repo (product_id, url, kind, name) VALUES (?, ?, ?, ?)
        ON CONFLICT (product_id, url) DO UPDATE SET kind = excluded.kind, name = excluded.name, removed_at = NULL`),
      findRepo: db.prepare<[string, string], RepoState>(`SELECT id, product_id, url, base_url, checksum_type, checksum,
        repomd_etag, repomd_last_modified, repomd_revision, repomd_timestamp FROM repo WHERE product_id = ? AND url = ?`),
      saveSuccess: db.prepare(`UPDATE repo SET base_url = @baseUrl, updateinfo_url = @updateinfoUrl,
        checksum_type = @checksumType, checksum = @checksum, repomd_etag = @etag, repomd_last_modified = @lastModified,
        repomd_revision = @revision, repomd_timestamp = @timestamp, last_run_at = @now, last_success_at = @now, last_status = @status, last_error = NULL WHERE id = @id`),
      saveFailure: db.prepare('UPDATE repo SET last_run_at = ?, last_status = \'failed\', last_error = ? WHERE id = ?'),
      startRun: db.prepare('INSERT INTO ingest_run (started_at) VALUES (?)'),
      closeAbandoned: db.prepare("UPDATE ingest_run SET status = 'killed' WHERE status IS NULL"),
      finishRun: db.prepare('UPDATE ingest_run SET finished_at = ?, status = ? WHERE id = ?'),
      insertLog: db.prepare(`INSERT INTO ingest_log (run_id, repo_id, url, started_at, finished_at, status, checksum,
        added, changed, unchanged, withdrawn, skipped, error) VALUES (@runId, @repoId, @url, @startedAt, @finishedAt,
        @status, @checksum, @added, @changed, @unchanged, @withdrawn, @skipped, @error)`),
      bumpState: db.prepare("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'state_generation'")
    }
  }

  ensureRepo (productId: string, productName: string, url: string, kind: 'baseurl' | 'mirrorlist', name: string | null, now: string): RepoState {
    this.s.upsertProduct.run(productId, productName, now)
    this.s.upsertRepo.run(productId, url, kind, name)
    return this.s.findRepo.get(productId, url)!
  }

  /** Runs inside the repo's own transaction, so state and advisories commit together. */
  saveSuccess (state: {
    id: number,
    baseUrl: string,
    updateinfoUrl: string | null,
    checksumType: string | null,
    checksum: string | null,
    etag: string | null,
    lastModified: string | null,
    revision: string | null,
    timestamp: string | null,
    status: 'ok' | 'unchanged',
    now: string
  }): void {
    this.s.saveSuccess.run(state)
  }

  saveFailure (repoId: number, error: string, now: string): void {
    this.s.saveFailure.run(now, error, repoId)
  }

  startRun (now: string): number {
    return Number(this.s.startRun.run(now).lastInsertRowid)
  }

  /** Runs still marked as running were killed: only the lock holder calls this. */
  closeAbandonedRuns (): void {
    this.s.closeAbandoned.run()
  }

  finishRun (runId: number, status: 'ok' | 'failed' | 'interrupted', now: string): void {
    this.s.finishRun.run(now, status, runId)
  }

  log (entry: RepoLogEntry): void {
    this.s.insertLog.run(entry)
    // The products page shows repo state, which changes on every run, even an unchanged one.
    this.s.bumpState.run()
  }

  /**
   * Repo URLs stored before they were canonical (`canonicalOf` gives the form, or null when it cannot be known,
   * as for a relative path): renamed, or merged with the row that has the canonical form when one of the two
   * holds no advisories (its run log moves to the other). Two rows that both hold advisories are left for the
   * operator (`repos list` shows them, `repos remove` removes one). Returns rows renamed or merged.
   */
  canonicaliseUrls (canonicalOf: (url: string, kind: 'baseurl' | 'mirrorlist') => string | null): number {
    const { db } = this
    const rows = db.prepare<[], { id: number, product_id: string, url: string, kind: 'baseurl' | 'mirrorlist' }>('SELECT id, product_id, url, kind FROM repo').all()
    const stale = rows.map((r) => ({ ...r, canonical: canonicalOf(r.url, r.kind) })).filter((r) => r.canonical !== null && r.canonical !== r.url)
    if (stale.length === 0) return 0
    const used = db.prepare<[number], { n: number }>('SELECT count(*) AS n FROM advisory_repo WHERE repo_id = ?')
    const moveLog = db.prepare('UPDATE ingest_log SET repo_id = ? WHERE repo_id = ?')
    const drop = db.prepare('DELETE FROM repo WHERE id = ?')
    const rename = db.prepare('UPDATE repo SET url = ? WHERE id = ?')
    let changed = 0
    db.transaction(() => {
      for (const r of stale) {
        const existing = this.s.findRepo.get(r.product_id, r.canonical!)
        if (existing !== undefined && used.get(r.id)!.n === 0) {
          moveLog.run(existing.id, r.id)
          drop.run(r.id)
        } else if (existing === undefined || used.get(existing.id)!.n === 0) {
          if (existing !== undefined) { moveLog.run(r.id, existing.id); drop.run(existing.id) }
          rename.run(r.canonical, r.id)
        } else {
          continue
        }
        changed++
      }
      if (changed > 0) this.s.bumpState.run()
    })()
    return changed
  }

  /**
   * Rows written before credentials were taken out of repo URLs (such a repo never ingested: fetch
   * refused its URL): renamed to the URL without them, or merged into the row that has it, and every
   * text redacted; freed bytes are zeroed (secure_delete) and the WAL checkpointed. Returns rows changed.
   */
  scrubCredentials (redact: (text: string) => string): number {
    const { db } = this
    const repos = db.prepare<[], { id: number, product_id: string, url: string, base_url: string | null, updateinfo_url: string | null, last_error: string | null }>(
      "SELECT id, product_id, url, base_url, updateinfo_url, last_error FROM repo WHERE (url || ifnull(base_url, '') || ifnull(updateinfo_url, '') || ifnull(last_error, '')) LIKE '%@%'").all()
    const logs = db.prepare<[], { id: number, url: string, error: string | null }>("SELECT id, url, error FROM ingest_log WHERE (url || ifnull(error, '')) LIKE '%@%'").all()
    const clean = (text: string | null): string | null => (text === null ? null : redact(text))
    const dirtyRepos = repos.filter((r) => [r.url, r.base_url, r.updateinfo_url, r.last_error].some((x) => x !== clean(x)))
    const dirtyLogs = logs.filter((l) => l.url !== redact(l.url) || l.error !== clean(l.error))
    if (dirtyRepos.length === 0 && dirtyLogs.length === 0) return 0
    db.pragma('secure_delete = ON')
    try {
      db.transaction(() => {
        for (const r of dirtyRepos) {
          const url = redact(r.url)
          const existing = url === r.url ? undefined : this.s.findRepo.get(r.product_id, url)
          const used = db.prepare('SELECT 1 FROM advisory_repo WHERE repo_id = ? LIMIT 1').get(r.id) !== undefined
          if (existing !== undefined && !used) {
            db.prepare('UPDATE ingest_log SET repo_id = ? WHERE repo_id = ?').run(existing.id, r.id)
            db.prepare('DELETE FROM repo WHERE id = ?').run(r.id)
          } else {
            db.prepare('UPDATE repo SET url = ?, base_url = ?, updateinfo_url = ?, last_error = ? WHERE id = ?')
              .run(existing === undefined ? url : r.url, clean(r.base_url), clean(r.updateinfo_url), clean(r.last_error), r.id)
          }
        }
        const update = db.prepare('UPDATE ingest_log SET url = ?, error = ? WHERE id = ?')
        for (const l of dirtyLogs) update.run(redact(l.url), clean(l.error), l.id)
        this.s.bumpState.run()
      })()
    } finally {
      db.pragma('secure_delete = OFF')
    }
    db.pragma('wal_checkpoint(TRUNCATE)')
    return dirtyRepos.length + dirtyLogs.length
  }
}
