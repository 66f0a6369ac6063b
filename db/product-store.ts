// What the configuration says about a product (package manager, source repo, signing key) and what the worker
// read of its signing key. Pages show these on every advisory of the product, so a change moves the data's
// generation as an advisory change does; a key that cannot be read is recorded as a failure, as a repo's is,
// and the key read before stays.
import type { Db } from './open.js'

export interface ProductSettings {
  /** yum, dnf, zypper or none; null: chosen per advisory from its id. */
  packageManager: string | null
  /** The yum repo id of the product's source RPMs (`epll-source`). */
  sourceRepo: string | null
  /** Where the worker reads the key, and what `rpm --import` is shown with (null: the file's name). */
  signingKey: { source: string, importUrl: string | null } | null
}

/** What the worker read of a key: the primary key's fingerprint (upper-case hex), primary user id, creation time. */
export interface KeyFacts { fingerprint: string, userId: string, created: string }

/** Creates a product or renames it: (id, name, created_at). RepoStore.ensureRepo runs it too. */
export const upsertProductSql = `INSERT INTO product (id, name, created_at) VALUES (?, ?, ?)
  ON CONFLICT (id) DO UPDATE SET name = excluded.name`

interface KeyRow { source: string, import_url: string | null, fingerprint: string | null, user_id: string | null, created: string | null }

export class ProductStore {
  private readonly s

  constructor (private readonly db: Db) {
    this.s = {
      // The settings are saved before the product's first repo is, so either may create the product.
      upsertProduct: db.prepare(upsertProductSql),
      shown: db.prepare<[string], { n: number }>('SELECT count(*) AS n FROM (SELECT 1 FROM advisory WHERE product_id = ? LIMIT 1)'),
      settings: db.prepare<[string], { package_manager: string | null, source_repo: string | null }>('SELECT package_manager, source_repo FROM product WHERE id = ?'),
      saveSettings: db.prepare('UPDATE product SET package_manager = ?, source_repo = ? WHERE id = ?'),
      key: db.prepare<[string], KeyRow>('SELECT source, import_url, fingerprint, user_id, created FROM signing_key WHERE product_id = ?'),
      dropKey: db.prepare('DELETE FROM signing_key WHERE product_id = ?'),
      // A new source starts without facts: what another file said is not this key's.
      placeKey: db.prepare(`INSERT INTO signing_key (product_id, source, import_url) VALUES (?, ?, ?)
        ON CONFLICT (product_id) DO UPDATE SET import_url = excluded.import_url,
          fingerprint = CASE WHEN source = excluded.source THEN fingerprint END,
          user_id = CASE WHEN source = excluded.source THEN user_id END,
          created = CASE WHEN source = excluded.source THEN created END,
          source = excluded.source`),
      keyRead: db.prepare(`UPDATE signing_key SET fingerprint = @fingerprint, user_id = @userId, created = @created,
        last_run_at = @now, last_success_at = @now, last_status = 'ok', last_error = NULL WHERE product_id = @productId`),
      keyFailed: db.prepare("UPDATE signing_key SET last_run_at = ?, last_status = 'failed', last_error = ? WHERE product_id = ?"),
      bumpData: db.prepare("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'data_generation'"),
      setChangedAt: db.prepare("UPDATE meta SET value = ? WHERE key = 'data_changed_at'"),
      bumpState: db.prepare("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'state_generation'")
    }
  }

  /** Saves what the configuration says (the product is created when new); true when pages change. */
  saveSettings (productId: string, productName: string, settings: ProductSettings, now: string): boolean {
    return this.db.transaction(() => {
      this.s.upsertProduct.run(productId, productName, now)
      const before = this.s.settings.get(productId)
      const key = this.s.key.get(productId)
      let changed = before?.package_manager !== settings.packageManager || before?.source_repo !== settings.sourceRepo
      if (changed) this.s.saveSettings.run(settings.packageManager, settings.sourceRepo, productId)
      if (settings.signingKey === null) {
        if (key !== undefined) { this.s.dropKey.run(productId); changed = true }
      } else if (key?.source !== settings.signingKey.source || key.import_url !== settings.signingKey.importUrl) {
        this.s.placeKey.run(productId, settings.signingKey.source, settings.signingKey.importUrl)
        changed = true
      }
      if (changed) this.dataChanged(productId, now)
      return changed
    }).immediate()
  }

  /** The key as read now; true when what pages show of it changed. */
  saveKey (productId: string, facts: KeyFacts, now: string): boolean {
    return this.db.transaction(() => {
      const before = this.s.key.get(productId)
      this.s.keyRead.run({ ...facts, productId, now })
      const changed = before !== undefined && (before.fingerprint !== facts.fingerprint || before.user_id !== facts.userId || before.created !== facts.created)
      if (changed) this.dataChanged(productId, now)
      this.s.bumpState.run()
      return changed
    }).immediate()
  }

  /** The key could not be read: the failure is shown as a repo's is, and what was read before stays. */
  saveKeyFailure (productId: string, error: string, now: string): void {
    this.db.transaction(() => {
      this.s.keyFailed.run(now, error, productId)
      this.s.bumpState.run()
    }).immediate()
  }

  /** The product's advisory pages show these: their data changed (a product without advisories has none yet). */
  private dataChanged (productId: string, now: string): void {
    if (this.s.shown.get(productId)!.n === 0) return
    this.s.bumpData.run()
    this.s.setChangedAt.run(now)
  }
}
