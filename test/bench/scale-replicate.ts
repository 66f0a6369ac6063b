// The scale run's fallback when the machine cannot ingest a million advisories in the time there is (on the
// shared 2-core machine, under a load of 20, the worker got a twelfth of a core): a database ingested by the
// CLI is copied into itself in SQL until it holds `copies` times its advisories. Each copy moves the dates
// and the ids' years forward (by 7 and 10 years a copy), so the copies sort after the original and keep their
// ids unique. Copied: the advisories (the triggers keep the counts), their collections, packages and CVEs and
// their search rows; not their references, modules or history (only an advisory's own page shows those).
import Database from 'better-sqlite3'

/** Years added to a date or an id's year: `col` as text, `years` an SQL expression. */
const shifted = (col: string, years: string): string => `CASE WHEN ${col} IS NULL THEN NULL ELSE printf('%04d', substr(${col}, 1, 4) + ${years}) || substr(${col}, 5) END`
const shiftedId = (col: string, years: string): string => `substr(${col}, 1, 5) || printf('%04d', substr(${col}, 6, 4) + ${years}) || substr(${col}, 10)`

export function replicate (dbPath: string, copies: number, log: (line: string) => void): void {
  const db = new Database(dbPath)
  db.pragma('journal_mode = WAL')
  db.pragma('cache_size = -262144')
  const base = db.prepare('SELECT max(pk) AS pk, count(*) AS n FROM advisory').get() as { pk: number, n: number }
  const collections = (db.prepare('SELECT max(pk) AS pk FROM advisory_collection').get() as { pk: number }).pk
  if (base.pk !== base.n) throw new Error('replicate: the advisories\' pks must be 1..n (a database made by one ingest)')
  const step = db.transaction((k: number) => {
    const off = k * base.pk
    const coff = k * collections
    db.prepare(`INSERT INTO advisory SELECT pk + ${off}, product_id, ${shiftedId('id', `${10 * k}`)}, type, status, version, from_address, author, title,
      ${shifted('issued', `${7 * k}`)}, issued_raw, ${shifted('updated', `${7 * k}`)}, updated_raw, severity, severity_raw, summary, description,
      solution, rights, release, pushcount, reboot_suggested, withdrawn, withdrawn_at, first_seen, last_changed FROM advisory WHERE pk <= ${base.pk}`).run()
    db.prepare(`INSERT INTO advisory_collection SELECT pk + ${coff}, advisory_pk + ${off}, repo_id, seq, short, name FROM advisory_collection WHERE pk <= ${collections}`).run()
    db.prepare(`INSERT INTO advisory_package SELECT advisory_pk + ${off}, repo_id, collection_pk + ${coff}, seq, name, epoch, version, release, arch, src, filename,
      sum_type, sum, reboot_suggested, restart_suggested, relogin_suggested, src_name FROM advisory_package WHERE advisory_pk <= ${base.pk}`).run()
    db.prepare(`INSERT INTO advisory_cve SELECT advisory_pk + ${off}, repo_id, cve FROM advisory_cve WHERE advisory_pk <= ${base.pk}`).run()
    db.prepare(`INSERT INTO advisory_fts (rowid, ident, title, description, packages, cves) SELECT rowid + ${off}, ${shiftedId('ident', `${10 * k}`)}, title,
      description, packages, cves FROM advisory_fts WHERE rowid <= ${base.pk}`).run()
  })
  for (let k = 1; k < copies; k++) {
    const started = performance.now()
    step(k)
    log(`replicate: copy ${k + 1} of ${copies} in ${((performance.now() - started) / 1000).toFixed(1)} s`)
  }
  db.prepare("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'data_generation'").run()
  db.pragma('wal_checkpoint(TRUNCATE)')
  db.close()
}
