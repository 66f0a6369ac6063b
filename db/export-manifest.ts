// The static export's manifest (export/manifest.ts): a small SQLite database in the output directory,
// `.llsc-export.db`, holding every file the export wrote with its hash and size, which document (URL) each
// main file holds with the key it was made from and its group, and the advisories it was made from. A re-export
// reads only what it needs (export/delta.ts) and changes it in one transaction: the manifest is the record of
// the tree, committed after the files are in place, so a killed export never leaves it half-written.
import Database from 'better-sqlite3'
import { existsSync } from 'node:fs'

export type ManifestDb = Database.Database

/** A file's bytes; the main file of a document also names its URL, key (`input`) and group. */
export interface FileEntry { sha256: string, size: number, url?: string, input?: string | null, grp?: string | null }

/** A document of the last export: the file it is in, its key (null: rendered every time) and its group. */
export interface StoredDocument { url: string, path: string, input: string | null, grp: string | null }

/** An advisory as the last export saw it (db/site-index.ts), to find what changed since. */
export interface StoredAdvisory {
  product: string
  id: string
  version: string
  severity: string | null
  withdrawn: boolean
  newest: string | null
  cves: string[]
  names: string[]
}

/**
 * One part of a large document's .gz (export/gzip-parts.ts): the sha256 and size of the part's own bytes, and
 * where its compressed form lies in the .gz.
 */
export interface GzipPart { sha256: string, size: number, offset: number, length: number }

/** What one export run changes in the manifest. */
export interface ManifestChange {
  data: unknown
  files: Map<string, FileEntry>
  removed: string[]
  /** The parts of the .gz files written from parts; any other .gz written or removed loses its parts. */
  gzipParts?: Map<string, GzipPart[]>
  /** All advisories (a full export), or those changed and removed (an incremental one). */
  advisories: { all: StoredAdvisory[] } | { put: StoredAdvisory[], removed: Array<[product: string, id: string]> }
  /** Every advisory in list order, as the next export compares them (ListedAdvisories); absent: none kept. */
  listed?: ListedAdvisories
}

/**
 * Advisories in list order, each [product, id, version, severity, withdrawn (1 or 0), newest, pk]; the pk (in the
 * database of ManifestData.log) is missing from lists kept before it was.
 */
export type ListedAdvisories = Array<[product: string, id: string, version: string, severity: string | null, withdrawn: 0 | 1, newest: string | null, pk?: number]>

const schema = `
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS file (
  path TEXT PRIMARY KEY, sha256 TEXT NOT NULL, size INTEGER NOT NULL, url TEXT, input TEXT, grp TEXT
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS file_url ON file (url) WHERE url IS NOT NULL;
CREATE INDEX IF NOT EXISTS file_grp ON file (grp) WHERE grp IS NOT NULL;
CREATE TABLE IF NOT EXISTS advisory (
  product TEXT NOT NULL, id TEXT NOT NULL, version TEXT NOT NULL, severity TEXT, withdrawn INTEGER NOT NULL,
  newest TEXT, cves TEXT NOT NULL, names TEXT NOT NULL, PRIMARY KEY (product, id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS listed (seq INTEGER PRIMARY KEY, advisories TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS gzip_part (
  path TEXT NOT NULL, seq INTEGER NOT NULL, gz_sha256 TEXT NOT NULL, sha256 TEXT NOT NULL, size INTEGER NOT NULL,
  gz_offset INTEGER NOT NULL, gz_length INTEGER NOT NULL, PRIMARY KEY (path, seq)
) WITHOUT ROWID;
`

/** Advisories per row of the `listed` table. */
const listedChunk = 1000

export const manifestFormat = 'llsc-export/2'

export interface Totals { files: number, bytes: number, documents: number }

type AdvisoryRow = { product: string, id: string, version: string, severity: string | null, withdrawn: number, newest: string | null, cves: string, names: string }
type FileRow = { path: string, sha256: string, size: number, url: string | null, input: string | null, grp: string | null }

export class ManifestFormatError extends Error { override name = 'ManifestFormatError' }

export class ExportManifestStore {
  private readonly s

  private constructor (readonly db: ManifestDb) {
    this.s = {
      meta: db.prepare<[string], { value: string }>('SELECT value FROM meta WHERE name = ?'),
      putListed: db.prepare<[number, string]>(`INSERT INTO listed (seq, advisories) VALUES (?, ?)
        ON CONFLICT (seq) DO UPDATE SET advisories = excluded.advisories WHERE advisories IS NOT excluded.advisories`),
      dropListed: db.prepare<[number]>('DELETE FROM listed WHERE seq >= ?'),
      setMeta: db.prepare<[string, string]>('INSERT INTO meta (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value'),
      files: db.prepare<[], FileRow>('SELECT path, sha256, size, url, input, grp FROM file'),
      file: db.prepare<[string], FileRow>('SELECT path, sha256, size, url, input, grp FROM file WHERE path = ?'),
      byUrl: db.prepare<[string], FileRow>('SELECT path, sha256, size, url, input, grp FROM file WHERE url = ?'),
      byGroup: db.prepare<[string], FileRow>('SELECT path, sha256, size, url, input, grp FROM file WHERE grp = ?'),
      // A group's documents with their precompressed files, through the primary key: one query, not one per file.
      groupFiles: db.prepare<[string], FileRow>(`SELECT f.path, f.sha256, f.size, f.url, f.input, f.grp FROM file m
        JOIN file f ON f.path IN (m.path, m.path || '.gz', m.path || '.br') WHERE m.grp = ?`),
      // Files below a directory: `path/` up to `path0` ('0' follows '/').
      under: db.prepare<[string, string], { n: number }>('SELECT count(*) AS n FROM file WHERE path > ? AND path < ?'),
      putFile: db.prepare<[string, string, number, string | null, string | null, string | null]>(`INSERT INTO file (path, sha256, size, url, input, grp) VALUES (?, ?, ?, ?, ?, ?)
        ON CONFLICT (path) DO UPDATE SET sha256 = excluded.sha256, size = excluded.size, url = excluded.url, input = excluded.input, grp = excluded.grp`),
      removeFile: db.prepare<[string]>('DELETE FROM file WHERE path = ?'),
      // Without their CVEs and names (read for the few that changed): at 20,000 advisories, rows as arrays and
      // no JSON read in 60 ms where objects with everything took 150.
      advisories: db.prepare<[], [string, string, string, string | null, number, string | null]>('SELECT product, id, version, severity, withdrawn, newest FROM advisory').raw(),
      groupsOf: db.prepare<[string, string], Pick<AdvisoryRow, 'cves' | 'names'>>('SELECT cves, names FROM advisory WHERE product = ? AND id = ?'),
      clearAdvisories: db.prepare('DELETE FROM advisory'),
      putAdvisory: db.prepare<[string, string, string, string | null, number, string | null, string, string]>(`INSERT INTO advisory (product, id, version, severity, withdrawn, newest, cves, names)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (product, id) DO UPDATE SET version = excluded.version, severity = excluded.severity,
        withdrawn = excluded.withdrawn, newest = excluded.newest, cves = excluded.cves, names = excluded.names`),
      removeAdvisory: db.prepare<[string, string]>('DELETE FROM advisory WHERE product = ? AND id = ?')
    }
  }

  /**
   * The manifest at `path`; `create`: made when missing (an export about to write), else null when missing.
   * A file that is not a manifest of this format is refused with a message naming it.
   */
  static open (path: string, options: { create: boolean, readonly?: boolean }): ExportManifestStore | null {
    if (!options.create && !existsSync(path)) return null
    const db = new Database(path, { readonly: options.readonly ?? false, fileMustExist: !options.create })
    try {
      if (!options.readonly) {
        // A rollback journal: no -wal/-shm files stay beside the tree, and a killed commit is rolled back on open.
        db.pragma('journal_mode = DELETE')
        db.pragma('synchronous = FULL')
        db.exec(schema)
      }
      const store = new ExportManifestStore(db)
      const format = store.metaValue('format')
      if (format === null && !options.readonly) store.s.setMeta.run('format', manifestFormat)
      else if (format !== manifestFormat) throw new ManifestFormatError(`${path} is not an export manifest of this version (format "${String(format)}"); remove it to export afresh`)
      return store
    } catch (err) {
      db.close()
      if (err instanceof ManifestFormatError) throw err
      throw new ManifestFormatError(`${path} is not an export manifest: ${(err as Error).message}; remove it to export afresh`)
    }
  }

  close (): void { this.db.close() }

  /** The data the last export was made from (export/manifest.ts, ManifestData), or null. */
  data (): unknown {
    const value = this.metaValue('data')
    return value === null ? null : JSON.parse(value) as unknown
  }

  private metaValue (name: string): string | null {
    return this.s.meta.get(name)?.value ?? null
  }

  /** Every file (a full export compares with all of them). */
  allFiles (): Map<string, FileEntry> {
    const files = new Map<string, FileEntry>()
    for (const row of this.s.files.iterate()) files.set(row.path, entryOf(row))
    return files
  }

  file (path: string): FileEntry | undefined {
    const row = this.s.file.get(path)
    return row === undefined ? undefined : entryOf(row)
  }

  document (url: string): StoredDocument | undefined {
    const row = this.s.byUrl.get(url)
    return row === undefined ? undefined : { url, path: row.path, input: row.input, grp: row.grp }
  }

  /** The documents of a group (a CVE's pages, lookup and feeds; a list's pages). */
  documentsOf (grp: string): StoredDocument[] {
    return this.s.byGroup.all(grp).map((row) => ({ url: row.url!, path: row.path, input: row.input, grp }))
  }

  /** The files of a group's documents, main files (with a URL) and their `.gz` and `.br`, in no order. */
  groupFiles (grp: string): Array<{ path: string, entry: FileEntry }> {
    return this.s.groupFiles.all(grp).map((row) => ({ path: row.path, entry: entryOf(row) }))
  }

  /** Some file lies below `dir`. */
  hasFilesUnder (dir: string): boolean {
    return this.s.under.get(`${dir}/`, `${dir}0`)!.n > 0
  }

  /** The advisories by `product<TAB>id`, without their CVEs and names (groupsOf reads those, for a few). */
  advisories (): Map<string, Omit<StoredAdvisory, 'cves' | 'names'>> {
    const advisories = new Map<string, Omit<StoredAdvisory, 'cves' | 'names'>>()
    for (const [product, id, version, severity, withdrawn, newest] of this.s.advisories.all()) {
      advisories.set(`${product}\t${id}`, { product, id, version, severity, withdrawn: withdrawn === 1, newest })
    }
    return advisories
  }

  /** The advisories in list order as the last export saw them, when it kept them (ManifestChange.listed). */
  listed (): ListedAdvisories | null {
    // Prepared on first use: a manifest opened read-only before this table existed does not have it.
    this.listedChunks ??= this.db.prepare<[], string>('SELECT advisories FROM listed ORDER BY seq').pluck()
    const chunks = this.listedChunks.all()
    try {
      return chunks.length === 0 ? null : chunks.flatMap((chunk) => JSON.parse(chunk) as ListedAdvisories)
    } catch {
      // Not JSON (a damaged file): the advisories' own rows still say what the last export saw.
      return null
    }
  }

  private listedChunks: Database.Statement<[], string> | undefined

  /** The CVEs and names an advisory had. */
  groupsOf (product: string, id: string): Pick<StoredAdvisory, 'cves' | 'names'> {
    const row = this.s.groupsOf.get(product, id)!
    return { cves: JSON.parse(row.cves) as string[], names: JSON.parse(row.names) as string[] }
  }

  /**
   * The parts of a .gz made from parts (export/gzip-parts.ts), in order, when they were recorded for the .gz whose
   * sha256 is `gzSha256` (an export by an earlier version may have replaced the file without knowing of parts).
   */
  gzipParts (path: string, gzSha256: string): GzipPart[] {
    // Prepared on first use: a manifest opened read-only before this table existed does not have it.
    this.gzipPartsOf ??= this.db.prepare<[string, string], GzipPart>(`SELECT sha256, size, gz_offset AS offset, gz_length AS length FROM gzip_part
      WHERE path = ? AND gz_sha256 = ? ORDER BY seq`)
    return this.gzipPartsOf.all(path, gzSha256)
  }

  private gzipPartsOf: Database.Statement<[string, string], GzipPart> | undefined

  /** How many files (and bytes, and documents) the tree holds, kept up to date by every commit. */
  totals (): Totals {
    const value = this.metaValue('totals')
    return value === null ? { files: 0, bytes: 0, documents: 0 } : JSON.parse(value) as Totals
  }

  /** One transaction: a reader (or a killed export) sees the manifest before it or after it. */
  commit (change: ManifestChange): void {
    this.db.transaction(() => {
      const totals = this.totals()
      const count = (row: FileRow | undefined, sign: 1 | -1): void => {
        if (row === undefined) return
        totals.files += sign
        totals.bytes += sign * row.size
        if (row.url !== null) totals.documents += sign
      }
      for (const path of change.removed) {
        count(this.s.file.get(path), -1)
        this.s.removeFile.run(path)
      }
      for (const [path, e] of change.files) {
        count(this.s.file.get(path), -1)
        count({ path, sha256: e.sha256, size: e.size, url: e.url ?? null, input: null, grp: null }, 1)
      }
      this.s.setMeta.run('totals', JSON.stringify(totals))
      const dropParts = this.db.prepare<[string]>('DELETE FROM gzip_part WHERE path = ?')
      const putPart = this.db.prepare<[string, number, string, string, number, number, number]>(`INSERT INTO gzip_part (path, seq, gz_sha256, sha256, size, gz_offset, gz_length)
        VALUES (?, ?, ?, ?, ?, ?, ?)`)
      for (const path of [...change.removed, ...change.files.keys()]) if (path.endsWith('.gz')) dropParts.run(path)
      for (const [path, parts] of change.gzipParts ?? []) {
        const gz = change.files.get(path)
        if (gz !== undefined) parts.forEach((p, seq) => putPart.run(path, seq, gz.sha256, p.sha256, p.size, p.offset, p.length))
      }
      // In path order: the same export makes the same manifest file.
      for (const [path, e] of [...change.files].sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0)) this.s.putFile.run(path, e.sha256, e.size, e.url ?? null, e.url === undefined ? null : e.input ?? null, e.url === undefined ? null : e.grp ?? null)
      if ('all' in change.advisories) this.s.clearAdvisories.run()
      else for (const [product, id] of change.advisories.removed) this.s.removeAdvisory.run(product, id)
      for (const a of 'all' in change.advisories ? change.advisories.all : change.advisories.put) {
        this.s.putAdvisory.run(a.product, a.id, a.version, a.severity, a.withdrawn ? 1 : 0, a.newest, JSON.stringify(a.cves), JSON.stringify(a.names))
      }
      // The advisories in list order, as JSON in rows of listedChunk: read back with a JSON.parse each, a third of
      // the time the rows above take at 20,000 (export/delta.ts compares them in order). Only the rows whose text
      // changed are written (one revised advisory: one row of about 150 KB, not 3 MB). Absent, none is kept: a
      // kept list must always be the one that goes with the rows.
      const chunks = change.listed === undefined ? [] : Array.from({ length: Math.ceil(change.listed.length / listedChunk) }, (_, i) => JSON.stringify(change.listed!.slice(i * listedChunk, (i + 1) * listedChunk)))
      chunks.forEach((chunk, seq) => { this.s.putListed.run(seq, chunk) })
      this.s.dropListed.run(chunks.length)
      this.s.setMeta.run('data', JSON.stringify(change.data))
    })()
  }
}

function entryOf (row: FileRow): FileEntry {
  return row.url === null ? { sha256: row.sha256, size: row.size } : { sha256: row.sha256, size: row.size, url: row.url, input: row.input, grp: row.grp }
}
