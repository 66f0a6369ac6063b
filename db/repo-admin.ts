// The operator's view of products and repos (`npm run repos`), and removing a repo: its advisories withdrawn
// (the repo's row stays, holding their last content) or deleted, in one transaction that moves the data and
// state generations, so the server's caches refresh.
import { AdvisoryStore } from './advisory-store.js'
import type { Db } from './open.js'

export interface AdminProduct {
  id: string
  name: string
  advisories: number
  withdrawn: number
  /** Has a repo in use, so it is on /products. */
  listed: boolean
}

export interface AdminRepo {
  id: number
  productId: string
  name: string | null
  url: string
  kind: 'baseurl' | 'mirrorlist'
  lastRunAt: string | null
  lastSuccessAt: string | null
  lastStatus: string | null
  lastError: string | null
  removedAt: string | null
  /** Advisories the repo lists now. */
  advisories: number
  /** Withdrawn advisories whose last content this repo keeps. */
  withdrawn: number
}

export type RemoveMode = 'withdraw' | 'delete'

export interface Removal {
  /** --withdraw: advisories no other repo of the product lists, now withdrawn. */
  withdrawn: number
  /** --delete: advisories no other repo holds, now deleted with their history. */
  deleted: number
  /** Advisories another repo of the product still holds: they only lose this repo's packages and references. */
  detached: number
  /** The product has no repo in use left (it is off /products); `productDeleted` when nothing of it is left at all. */
  productUnlisted: boolean
  productDeleted: boolean
}

export class RepoAdmin {
  private readonly s
  private readonly advisories: AdvisoryStore

  constructor (private readonly db: Db) {
    this.advisories = new AdvisoryStore(db)
    this.s = {
      products: db.prepare<[], Omit<AdminProduct, 'listed'> & { listed: number }>(`SELECT p.id, p.name,
          (SELECT count(*) FROM advisory a WHERE a.product_id = p.id) AS advisories,
          (SELECT count(*) FROM advisory a WHERE a.product_id = p.id AND a.withdrawn = 1) AS withdrawn,
          EXISTS (SELECT 1 FROM repo r WHERE r.product_id = p.id AND r.removed_at IS NULL) AS listed
        FROM product p ORDER BY p.id`),
      repos: db.prepare<[], AdminRepo>(`SELECT r.id, r.product_id AS productId, r.name, r.url, r.kind,
          r.last_run_at AS lastRunAt, r.last_success_at AS lastSuccessAt, r.last_status AS lastStatus,
          r.last_error AS lastError, r.removed_at AS removedAt,
          (SELECT count(*) FROM advisory_repo ar WHERE ar.repo_id = r.id AND ar.present = 1) AS advisories,
          (SELECT count(*) FROM advisory_repo ar WHERE ar.repo_id = r.id AND ar.present = 0) AS withdrawn
        FROM repo r ORDER BY r.product_id, r.removed_at IS NOT NULL, r.name, r.url`),
      members: db.prepare<[number], { pk: number, present: number }>('SELECT advisory_pk AS pk, present FROM advisory_repo WHERE repo_id = ?'),
      listedElsewhere: db.prepare<[number, number], { n: number }>(`SELECT count(*) AS n FROM advisory_repo ar JOIN repo r ON r.id = ar.repo_id
        WHERE ar.advisory_pk = ? AND ar.repo_id != ? AND ar.present = 1 AND r.removed_at IS NULL`),
      heldElsewhere: db.prepare<[number], { n: number }>('SELECT count(*) AS n FROM advisory_repo WHERE advisory_pk = ?'),
      deleteMembership: db.prepare('DELETE FROM advisory_repo WHERE advisory_pk = ? AND repo_id = ?'),
      markAbsent: db.prepare('UPDATE advisory_repo SET present = 0 WHERE advisory_pk = ? AND repo_id = ?'),
      withdraw: db.prepare('UPDATE advisory SET withdrawn = 1, withdrawn_at = ?, last_changed = ? WHERE pk = ?'),
      recordWithdrawal: db.prepare("INSERT INTO advisory_event (advisory_pk, run_id, at, kind) VALUES (?, NULL, ?, 'withdrawn')"),
      deleteHistory: db.prepare('DELETE FROM advisory_history WHERE advisory_pk = ?'),
      deleteEvents: db.prepare('DELETE FROM advisory_event WHERE advisory_pk = ?'),
      deleteSearch: db.prepare('DELETE FROM advisory_fts WHERE rowid = ?'),
      deleteAdvisory: db.prepare('DELETE FROM advisory WHERE pk = ?'),
      // What the repo last ingested is forgotten: if the configuration names it again, it is read afresh.
      retire: db.prepare(`UPDATE repo SET removed_at = ?, checksum_type = NULL, checksum = NULL, repomd_etag = NULL,
        repomd_last_modified = NULL, repomd_revision = NULL, repomd_timestamp = NULL WHERE id = ?`),
      deleteLog: db.prepare('DELETE FROM ingest_log WHERE repo_id = ?'),
      deleteRepo: db.prepare('DELETE FROM repo WHERE id = ?'),
      productRepos: db.prepare<[string], { all: number, inUse: number }>(
        'SELECT count(*) AS "all", count(*) FILTER (WHERE removed_at IS NULL) AS inUse FROM repo WHERE product_id = ?'),
      productAdvisories: db.prepare<[string], { n: number }>('SELECT count(*) AS n FROM advisory WHERE product_id = ?'),
      deleteKey: db.prepare('DELETE FROM signing_key WHERE product_id = ?'),
      deleteProduct: db.prepare('DELETE FROM product WHERE id = ?'),
      bumpData: db.prepare("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'data_generation'"),
      setChangedAt: db.prepare("UPDATE meta SET value = ? WHERE key = 'data_changed_at'"),
      bumpState: db.prepare("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'state_generation'")
    }
  }

  /** Every product, also those whose repos were all removed (listed = false). */
  products (): AdminProduct[] {
    return this.s.products.all().map((p) => ({ ...p, listed: p.listed === 1 }))
  }

  /** Every repo, removed ones included (removedAt), with how many advisories it lists and keeps. */
  repos (): AdminRepo[] {
    return this.s.repos.all()
  }

  /** Removes the repos (all of one product) in one transaction; `now` stamps withdrawals and the data's change. */
  remove (productId: string, repoIds: number[], mode: RemoveMode, now: string): Removal {
    const removal: Removal = { withdrawn: 0, deleted: 0, detached: 0, productUnlisted: false, productDeleted: false }
    // Removing several repos, an advisory detached from the first may be withdrawn or deleted with the last.
    const detached = new Set<number>()
    this.db.transaction(() => {
      for (const repoId of repoIds) {
        if (mode === 'withdraw') this.withdrawRepo(repoId, now, removal, detached)
        else this.deleteRepo(repoId, removal, detached)
      }
      removal.detached = detached.size
      const repos = this.s.productRepos.get(productId)!
      removal.productUnlisted = repos.inUse === 0
      if (repos.all === 0 && this.s.productAdvisories.get(productId)!.n === 0) {
        this.s.deleteKey.run(productId)
        this.s.deleteProduct.run(productId)
        removal.productDeleted = true
      }
      if (removal.withdrawn + removal.deleted + removal.detached > 0) {
        this.s.bumpData.run()
        this.s.setChangedAt.run(now)
      }
      this.s.bumpState.run()
    }).immediate()
    return removal
  }

  /**
   * An advisory another repo in use lists loses this repo's rows (as when a repo stops listing it); one it
   * alone lists is withdrawn and keeps its content here. Already withdrawn ones stay as they are.
   */
  private withdrawRepo (repoId: number, now: string, removal: Removal, detached: Set<number>): void {
    for (const m of this.s.members.all(repoId)) {
      if (m.present === 0) continue
      if (this.s.listedElsewhere.get(m.pk, repoId)!.n > 0) {
        this.advisories.deleteChildren(m.pk, repoId)
        this.s.deleteMembership.run(m.pk, repoId)
        this.advisories.refreshSearch(m.pk)
        detached.add(m.pk)
      } else {
        this.s.markAbsent.run(m.pk, repoId)
        this.s.withdraw.run(now, now, m.pk)
        this.s.recordWithdrawal.run(m.pk, now)
        detached.delete(m.pk)
        removal.withdrawn++
      }
    }
    this.s.retire.run(now, repoId)
  }

  /** The repo's rows go; an advisory no other repo holds goes with them (history and search row included). */
  private deleteRepo (repoId: number, removal: Removal, detached: Set<number>): void {
    for (const m of this.s.members.all(repoId)) {
      this.advisories.deleteChildren(m.pk, repoId)
      this.s.deleteMembership.run(m.pk, repoId)
      if (this.s.heldElsewhere.get(m.pk)!.n > 0) {
        this.advisories.refreshSearch(m.pk)
        detached.add(m.pk)
      } else {
        detached.delete(m.pk)
        this.s.deleteHistory.run(m.pk)
        this.s.deleteEvents.run(m.pk)
        this.s.deleteSearch.run(m.pk)
        this.s.deleteAdvisory.run(m.pk)
        removal.deleted++
      }
    }
    this.s.deleteLog.run(repoId)
    this.s.deleteRepo.run(repoId)
  }
}
