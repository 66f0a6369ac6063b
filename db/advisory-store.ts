// Writes one repo's advisories inside one transaction: added, changed, unchanged, withdrawn.
// An advisory is (product, id); each repo contributes its own child rows, so the package list is the
// union over the product's repos, and an advisory no repo lists any more is marked withdrawn, never deleted.
import { createHash } from 'node:crypto'
import type { Advisory } from './advisory.js'
import { BulkIndexes } from './bulk-indexes.js'
import type { Db } from './open.js'

export type WriteOutcome = 'added' | 'changed' | 'unchanged' | 'duplicate'

export interface RepoCounts { added: number, changed: number, unchanged: number, withdrawn: number, skipped: number }

/** What a commit would drop: the advisories the repo listed before this run and does not list now. */
export interface DropPlan { listed: number, dropped: number }

interface ExistingAdvisory { pk: number, withdrawn: number, issued: string | null, issued_raw: string | null, updated: string | null, updated_raw: string | null }

/**
 * A package's srcName is derived from its src, so it is left out: the hash stays the one earlier versions
 * stored, and an upgrade does not report every advisory as changed.
 */
export function contentHash (advisory: Advisory): string {
  const hashed = {
    ...advisory,
    collections: advisory.collections.map((c) => ({ ...c, packages: c.packages.map(({ srcName: _derived, ...p }) => p) }))
  }
  return createHash('sha256').update(JSON.stringify(hashed)).digest('hex')
}

/** Entries of the log of changed advisories (migration 0008) kept after a run that changed any: a few megabytes. */
const keptLogEntries = 100_000

/** An advisory's search row over the union of its repos' packages and CVEs (the caller adds the WHERE). */
const insertSearchRows = `INSERT INTO advisory_fts (rowid, ident, title, description, packages, cves)
  SELECT a.pk, a.id, coalesce(a.title, ''), coalesce(a.description, ''),
    coalesce((SELECT group_concat(n, ' ') FROM (SELECT name AS n FROM advisory_package WHERE advisory_pk = a.pk
      UNION SELECT src_name FROM advisory_package WHERE advisory_pk = a.pk AND src_name IS NOT NULL)), ''),
    coalesce((SELECT group_concat(cve, ' ') FROM (SELECT DISTINCT cve FROM advisory_cve WHERE advisory_pk = a.pk)), '')
  FROM advisory a`

export interface AdvisoryStoreOptions {
  /**
   * A repo's transaction turns to bulk writing (list and search indexes dropped and built again at the end,
   * search rows written in one statement at the end) once it has added this many advisories and at least as
   * many as the database held when it began; 1,000 by default. Tests lower it to cover both ways of writing.
   */
  bulkAfter?: number
}

export class AdvisoryStore {
  private readonly s
  private readonly bulkAfter: number

  constructor (private readonly db: Db, options: AdvisoryStoreOptions = {}) {
    this.bulkAfter = options.bulkAfter ?? 1000
    this.s = {
      findAdvisory: db.prepare<[string, string], ExistingAdvisory>(
        'SELECT pk, withdrawn, issued, issued_raw, updated, updated_raw FROM advisory WHERE product_id = ? AND id = ?'),
      insertAdvisory: db.prepare(`INSERT INTO advisory (product_id, id, type, status, version, from_address, author, title,
        issued, issued_raw, updated, updated_raw, severity, severity_raw, summary, description, solution, rights, release,
        pushcount, reboot_suggested, first_seen, last_changed)
        VALUES (@productId, @id, @type, @status, @version, @from, @author, @title, @issued, @issuedRaw, @updated, @updatedRaw,
        @severity, @severityRaw, @summary, @description, @solution, @rights, @release, @pushcount, @reboot, @now, @now)`),
      updateAdvisory: db.prepare(`UPDATE advisory SET type = @type, status = @status, version = @version,
        from_address = @from, author = @author, title = @title, issued = @issued, issued_raw = @issuedRaw,
        updated = @updated, updated_raw = @updatedRaw, severity = @severity, severity_raw = @severityRaw,
        summary = @summary, description = @description, solution = @solution, rights = @rights, release = @release,
        pushcount = @pushcount, reboot_suggested = @reboot, withdrawn = 0, withdrawn_at = NULL, last_changed = @now
        WHERE pk = @pk`),
      findAdvisoryRepo: db.prepare<[number, number], { content_hash: string, present: number }>(
        'SELECT content_hash, present FROM advisory_repo WHERE advisory_pk = ? AND repo_id = ?'),
      upsertAdvisoryRepo: db.prepare(`INSERT INTO advisory_repo (advisory_pk, repo_id, content_hash, present) VALUES (?, ?, ?, 1)
        ON CONFLICT (advisory_pk, repo_id) DO UPDATE SET content_hash = excluded.content_hash, present = 1`),
      staleRepos: db.prepare<[number, number], { repo_id: number }>(
        'SELECT repo_id FROM advisory_repo WHERE advisory_pk = ? AND repo_id != ? AND present = 0'),
      insertHistory: db.prepare(`INSERT INTO advisory_history (advisory_pk, run_id, changed_at, repo_id, issued, issued_raw,
        updated, updated_raw, content_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`),
      insertEvent: db.prepare('INSERT INTO advisory_event (advisory_pk, run_id, at, kind) VALUES (?, ?, ?, ?)'),
      insertReference: db.prepare('INSERT INTO advisory_reference (advisory_pk, repo_id, seq, type, ref_id, href, title) VALUES (?, ?, ?, ?, ?, ?, ?)'),
      insertCve: db.prepare('INSERT OR IGNORE INTO advisory_cve (advisory_pk, repo_id, cve) VALUES (?, ?, ?)'),
      insertCollection: db.prepare('INSERT INTO advisory_collection (advisory_pk, repo_id, seq, short, name) VALUES (?, ?, ?, ?, ?)'),
      insertModule: db.prepare('INSERT INTO advisory_module (collection_pk, seq, name, stream, version, context, arch) VALUES (?, ?, ?, ?, ?, ?, ?)'),
      insertPackage: db.prepare(`INSERT INTO advisory_package (advisory_pk, repo_id, collection_pk, seq, name, epoch, version,
        release, arch, src, src_name, filename, sum_type, sum, reboot_suggested, restart_suggested, relogin_suggested)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
      deleteSearch: db.prepare('DELETE FROM advisory_fts WHERE rowid = ?'),
      insertSearchRow: db.prepare('INSERT INTO advisory_fts (rowid, ident, title, description, packages, cves) VALUES (?, ?, ?, ?, ?, ?)'),
      insertSearch: db.prepare(`${insertSearchRows} WHERE a.pk = ?`),
      // The same rows for every advisory from a pk on, in one statement: a bulk write's deferred search rows.
      insertSearchFrom: db.prepare(`${insertSearchRows} WHERE a.pk >= ?`),
      maxPk: db.prepare<[], { n: number }>('SELECT coalesce(max(pk), 0) AS n FROM advisory'),
      deleteModules: db.prepare(`DELETE FROM advisory_module WHERE collection_pk IN
        (SELECT pk FROM advisory_collection WHERE advisory_pk = ? AND repo_id = ?)`),
      deletePackages: db.prepare('DELETE FROM advisory_package WHERE advisory_pk = ? AND repo_id = ?'),
      deleteCollections: db.prepare('DELETE FROM advisory_collection WHERE advisory_pk = ? AND repo_id = ?'),
      deleteReferences: db.prepare('DELETE FROM advisory_reference WHERE advisory_pk = ? AND repo_id = ?'),
      deleteCves: db.prepare('DELETE FROM advisory_cve WHERE advisory_pk = ? AND repo_id = ?'),
      deleteAdvisoryRepo: db.prepare('DELETE FROM advisory_repo WHERE advisory_pk = ? AND repo_id = ?'),
      repoMembers: db.prepare<[number], { advisory_pk: number, present: number }>(
        'SELECT advisory_pk, present FROM advisory_repo WHERE repo_id = ?'),
      countListed: db.prepare<[number], { n: number }>('SELECT count(*) AS n FROM advisory_repo WHERE repo_id = ? AND present = 1'),
      otherPresent: db.prepare<[number, number], { n: number }>(
        'SELECT count(*) AS n FROM advisory_repo WHERE advisory_pk = ? AND repo_id != ? AND present = 1'),
      markAbsent: db.prepare('UPDATE advisory_repo SET present = 0 WHERE advisory_pk = ? AND repo_id = ?'),
      withdraw: db.prepare('UPDATE advisory SET withdrawn = 1, withdrawn_at = ?, last_changed = ? WHERE pk = ?'),
      bumpGeneration: db.prepare("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'data_generation'"),
      setChangedAt: db.prepare("UPDATE meta SET value = ? WHERE key = 'data_changed_at'"),
      // Migration 0008's log of changed advisories, which the triggers write: the last entries are kept.
      pruneLog: db.prepare<[number]>('DELETE FROM advisory_log WHERE seq <= (SELECT max(seq) FROM advisory_log) - ?')
    }
  }

  /** Starts the repo's transaction; the writer commits or rolls it back. */
  beginRepo (productId: string, repoId: number, runId: number, now: string): RepoWriter {
    this.db.exec('BEGIN IMMEDIATE')
    const listed = this.s.countListed.get(repoId)!.n
    // max(pk) stands for the advisories already stored: an index lookup, where count(*) would read them all.
    const bulkAfter = Math.max(this.bulkAfter, this.s.maxPk.get()!.n)
    return new RepoWriter(this, this.db, { productId, repoId, runId, now, listed, bulkAfter })
  }

  /** @internal */ get statements (): typeof this.s { return this.s }

  deleteChildren (pk: number, repoId: number): void {
    const s = this.s
    s.deleteModules.run(pk, repoId)
    s.deletePackages.run(pk, repoId)
    s.deleteCollections.run(pk, repoId)
    s.deleteReferences.run(pk, repoId)
    s.deleteCves.run(pk, repoId)
  }

  /** A new advisory's search row, from what is in hand (one repo: nothing to union). */
  addSearch (pk: number, advisory: Advisory): void {
    const names = new Set<string>()
    for (const c of advisory.collections) {
      for (const p of c.packages) {
        names.add(p.name)
        if (p.srcName !== null) names.add(p.srcName)
      }
    }
    this.s.insertSearchRow.run(pk, advisory.id, advisory.title ?? '', advisory.description ?? '', [...names].join(' '), advisory.cves.join(' '))
  }

  /** An existing advisory's search row, from the union of what its repos list now. */
  refreshSearch (pk: number): void {
    this.s.deleteSearch.run(pk)
    this.s.insertSearch.run(pk)
  }

  insertChildren (pk: number, repoId: number, advisory: Advisory): void {
    const s = this.s
    advisory.references.forEach((r, i) => s.insertReference.run(pk, repoId, i, r.type, r.id, r.href, r.title))
    for (const cve of advisory.cves) s.insertCve.run(pk, repoId, cve)
    advisory.collections.forEach((c, ci) => {
      const collectionPk = s.insertCollection.run(pk, repoId, ci, c.short, c.name).lastInsertRowid
      c.modules.forEach((m, mi) => s.insertModule.run(collectionPk, mi, m.name, m.stream, m.version, m.context, m.arch))
      c.packages.forEach((p, pi) => s.insertPackage.run(pk, repoId, collectionPk, pi, p.name, p.epoch, p.version, p.release,
        p.arch, p.src, p.srcName, p.filename, p.sumType, p.sum, Number(p.rebootSuggested), Number(p.restartSuggested), Number(p.reloginSuggested)))
    })
  }
}

interface WriterSetup {
  productId: string
  repoId: number
  runId: number
  now: string
  /** Advisories the repo listed when the transaction began. */
  listed: number
  /** Advisories added before the writer turns to bulk writing. */
  bulkAfter: number
}

export class RepoWriter {
  readonly counts: RepoCounts = { added: 0, changed: 0, unchanged: 0, withdrawn: 0, skipped: 0 }
  private readonly seen = new Set<number>()
  private open = true
  private readonly productId: string
  private readonly repoId: number
  private readonly runId: number
  private readonly now: string
  private readonly listed: number
  private readonly bulkAfter: number
  private readonly bulk: BulkIndexes
  /** In bulk writing, the first advisory added without its search row (written at commit); null before. */
  private deferredFrom: number | null = null

  constructor (private readonly store: AdvisoryStore, private readonly db: Db, setup: WriterSetup) {
    ({ productId: this.productId, repoId: this.repoId, runId: this.runId, now: this.now, listed: this.listed, bulkAfter: this.bulkAfter } = setup)
    this.bulk = new BulkIndexes(db)
  }

  /** `hash` is contentHash(advisory) when the caller worked it out already. */
  write (advisory: Advisory, hash = contentHash(advisory)): WriteOutcome {
    const s = this.store.statements
    const params = {
      productId: this.productId,
      id: advisory.id,
      type: advisory.type,
      status: advisory.status,
      version: advisory.version,
      from: advisory.from,
      author: advisory.author,
      title: advisory.title,
      issued: advisory.issued,
      issuedRaw: advisory.issuedRaw,
      updated: advisory.updated,
      updatedRaw: advisory.updatedRaw,
      severity: advisory.severity,
      severityRaw: advisory.severityRaw,
      summary: advisory.summary,
      description: advisory.description,
      solution: advisory.solution,
      rights: advisory.rights,
      release: advisory.release,
      pushcount: advisory.pushcount,
      reboot: Number(advisory.rebootSuggested),
      now: this.now
    }
    const existing = s.findAdvisory.get(this.productId, advisory.id)
    if (existing === undefined) {
      const pk = Number(s.insertAdvisory.run(params).lastInsertRowid)
      s.upsertAdvisoryRepo.run(pk, this.repoId, hash)
      this.store.insertChildren(pk, this.repoId, advisory)
      if (this.deferredFrom === null) this.store.addSearch(pk, advisory)
      this.seen.add(pk)
      if (++this.counts.added >= this.bulkAfter && this.deferredFrom === null) {
        this.bulk.drop()
        this.deferredFrom = pk + 1
      }
      return 'added'
    }
    const pk = existing.pk
    if (this.seen.has(pk)) {
      this.counts.skipped++
      return 'duplicate'
    }
    this.seen.add(pk)
    const membership = s.findAdvisoryRepo.get(pk, this.repoId)
    if (membership !== undefined && membership.present === 1 && membership.content_hash === hash && existing.withdrawn === 0) {
      this.counts.unchanged++
      return 'unchanged'
    }
    if (existing.issued_raw !== advisory.issuedRaw || existing.updated_raw !== advisory.updatedRaw) {
      s.insertHistory.run(pk, this.runId, this.now, this.repoId, existing.issued, existing.issued_raw, existing.updated,
        existing.updated_raw, membership?.content_hash ?? null)
    }
    s.updateAdvisory.run({ ...params, pk })
    if (existing.withdrawn === 1) s.insertEvent.run(pk, this.runId, this.now, 'reinstated')
    // A withdrawn advisory that comes back drops the content it kept from repos that no longer list it.
    for (const stale of s.staleRepos.all(pk, this.repoId)) {
      this.store.deleteChildren(pk, stale.repo_id)
      s.deleteAdvisoryRepo.run(pk, stale.repo_id)
    }
    this.store.deleteChildren(pk, this.repoId)
    s.upsertAdvisoryRepo.run(pk, this.repoId, hash)
    this.store.insertChildren(pk, this.repoId, advisory)
    this.store.refreshSearch(pk)
    this.counts.changed++
    return 'changed'
  }

  /**
   * Withdraws what the repo no longer lists and commits. `check` sees what would be dropped first;
   * when it throws, nothing is written and the caller rolls back.
   */
  commit (check?: (plan: DropPlan) => void): RepoCounts {
    const s = this.store.statements
    const members = s.repoMembers.all(this.repoId).filter((m) => m.present === 1 && !this.seen.has(m.advisory_pk))
    check?.({ listed: this.listed, dropped: members.length })
    for (const member of members) {
      if (s.otherPresent.get(member.advisory_pk, this.repoId)!.n > 0) {
        this.store.deleteChildren(member.advisory_pk, this.repoId)
        s.deleteAdvisoryRepo.run(member.advisory_pk, this.repoId)
        this.store.refreshSearch(member.advisory_pk)
        this.counts.changed++
      } else {
        s.markAbsent.run(member.advisory_pk, this.repoId)
        s.withdraw.run(this.now, this.now, member.advisory_pk)
        s.insertEvent.run(member.advisory_pk, this.runId, this.now, 'withdrawn')
        this.counts.withdrawn++
      }
    }
    // Bulk writing's deferred work, before the commit: readers never see an index or a search row missing.
    this.bulk.rebuild()
    if (this.deferredFrom !== null) s.insertSearchFrom.run(this.deferredFrom)
    if (this.counts.added + this.counts.changed + this.counts.withdrawn > 0) {
      s.bumpGeneration.run()
      s.setChangedAt.run(this.now)
      s.pruneLog.run(keptLogEntries)
    }
    this.db.exec('COMMIT')
    this.open = false
    return this.counts
  }

  rollback (): void {
    if (!this.open) return
    this.open = false
    this.bulk.forget()
    if (this.db.inTransaction) this.db.exec('ROLLBACK')
  }
}
