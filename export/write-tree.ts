// Puts rendered documents into the output directory, incrementally: a file is written only when its bytes
// differ from the manifest's (or the file on disk is missing or differs), each through a temporary name and
// a rename; files the previous manifest lists that are no longer produced are deleted (nothing else ever
// is), and the manifest's changes are committed last. A full pass places every document and deletes what it
// did not place; an incremental one (export/delta.ts) places the documents it was given and deletes the files
// it is told are gone, leaving every other file (and its manifest entry) as it is.
import { createHash } from 'node:crypto'
import { mkdir, readFile, rename, rmdir, stat, unlink } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { tempPathOf, writeFileAtomic } from './atomic-file.js'
import type { Journal } from './journal.js'
import { filePathOf, isText, LayoutError } from './layout.js'
import type { ExportManifestStore, ListedAdvisories, ManifestChange } from '../db/export-manifest.js'
import type { ListedAdvisory } from '../db/site-index.js'
import { safeRelative, type FileEntry, type Manifest } from './manifest.js'
import { gzipFromParts, type GzipPart } from './gzip-parts.js'
import { largeDocument, precompress, precompressThreshold } from './precompress.js'
import type { PreparedGzip, Rendered, Written } from './render.js'
import type { ExportUrl } from './urls.js'
import { readPreviousGzip, type RecordedFile } from './bundle-job.js'

export interface Skipped { url: string, reason: string }

export interface TreeCounts {
  /** Documents rendered and placed. */
  documents: number
  /** Files the new manifest lists (precompressed ones included), and their bytes. */
  files: number
  bytes: number
  written: number
  kept: number
  deleted: number
  skipped: Skipped[]
}

const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex')

/** The directories above a relative path, nearest first (`a/b/c` -> `a/b`, `a`). */
function ancestors (path: string): string[] {
  const dirs: string[] = []
  for (let dir = dirname(path); dir !== '.'; dir = dirname(dir)) dirs.push(dir)
  return dirs
}

/** The previous export's files: a map (a full pass reads them all) or the manifest, asked per path. */
export interface PreviousFiles {
  /** null: a file a killed run may have written (its bytes unknown). */
  get: (path: string) => FileEntry | null | undefined
  has: (path: string) => boolean
}

/** The previous export's documents, by URL: the file each is in and its key. */
export interface PreviousDocuments { get: (url: string) => { path: string, input: string | null } | undefined }

/** How a pass ends: a full one deletes what it did not place; an incremental one, the files it names. */
export type Ending = { kind: 'full', /** every entry is committed (the manifest starts empty) */ all: boolean } | { kind: 'incremental', gone: string[] }

/**
 * An incremental pass found a new document where the previous export has a file or a directory: only a full
 * pass, which places every document, can tell which one keeps the path.
 */
export class NeedsFullPass extends Error { override name = 'NeedsFullPass' }

/** Where the previous .gz files made from parts say their parts are (the manifest). */
export interface GzipPartSource { gzipParts: (path: string, gzSha256: string) => GzipPart[] }

export class TreeWriter {
  private readonly next = new Map<string, FileEntry>()
  /** The parts of the .gz files this pass made from parts. */
  private readonly gzipParts = new Map<string, GzipPart[]>()
  /** Entries that differ from the previous manifest's: what the commit writes. */
  private readonly changed = new Map<string, FileEntry>()
  /** A placed document's precompressed forms it no longer has (it shrank below the threshold). */
  private readonly dropped: string[] = []
  /** Every directory the new tree needs: a file may not take a directory's name, nor the reverse. */
  private readonly dirs = new Set<string>(['', '.'])
  private readonly madeDirs = new Set<string>()
  readonly counts: TreeCounts = { documents: 0, files: 0, bytes: 0, written: 0, kept: 0, deleted: 0, skipped: [] }

  /**
   * `previous`: the last manifest's files, plus (with no hash) what a killed run's journal lists.
   * `verify`: a kept file is read back and compared by hash, not only by size.
   */
  constructor (private readonly outDir: string, private readonly previous: PreviousFiles,
    private readonly journal: Journal, private readonly verify: boolean,
    /** The previous export's documents with their keys, when made under the same site key; else none. */
    private readonly documents: PreviousDocuments = new Map(),
    /** An incremental pass: the manifest, to check that a new document's path is free. */
    private readonly incremental: ExportManifestStore | null = null,
    /** Paths this writer wrote. */
    private readonly written: Set<string> = new Set(),
    /** The manifest's parts of large documents' .gz files; without it every part is compressed. */
    private readonly previousParts: GzipPartSource | null = null,
    /** From this size on a document's .gz is made from parts, and it has no .br (export/precompress.ts). */
    private readonly large = largeDocument) {}

  /**
   * Keeps a document without rendering it when the last export wrote it under the same key, with every one of
   * its files recorded (a killed run's journal leaves them unrecorded). The files are not read or even
   * stat'ed: the manifest is the record of the tree, and `--verify` (which renders everything) checks it.
   */
  keep (url: string, input: string, grp: string): boolean {
    const known = this.documents.get(url)
    if (this.verify || known === undefined || known.input !== input) return false
    const main = this.previous.get(known.path)
    if (main === undefined || main === null) return false
    const paths = [known.path, `${known.path}.gz`, `${known.path}.br`].filter((p) => this.previous.has(p))
    if (paths.some((p) => this.previous.get(p) === null) || this.claim(paths) !== null) return false
    this.counts.documents++
    for (const p of paths) this.record(p, p === known.path ? { ...main, url, input, grp } : this.previous.get(p)!, false)
    return true
  }

  /** Places one document, with its precompressed forms when it is text of 1 KB or more; `input`: its key, if any. */
  async put (doc: Rendered, input: string | null = null): Promise<void> {
    const compress = isText(doc.contentType) && doc.body.length >= precompressThreshold
    const large = compress && doc.body.length >= this.large
    const place = this.begin(doc.url, doc.contentType, compress ? (large ? ['.gz'] : ['.gz', '.br']) : [], input)
    if (place === null) return
    const { path, withKey } = place
    const entry = { sha256: sha256(doc.body), size: doc.body.length }
    // Unchanged bytes, with every form in place: nothing to compress or write.
    if (await this.unchanged(path, entry) && await this.allOnDisk(place.paths.slice(1))) {
      for (const p of place.paths) this.record(p, p === path ? withKey(this.previous.get(p)!) : this.previous.get(p)!, false)
      return
    }
    const forms = [{ path, bytes: doc.body, entry }]
    if (large) forms.push(this.gzipForm(path, await this.gzipFromParts(doc.body, `${path}.gz`)))
    else if (compress) {
      for (const c of await precompress(doc.body)) forms.push({ path: path + c.suffix, bytes: c.bytes, entry: { sha256: sha256(c.bytes), size: c.bytes.length } })
    }
    // The forms are written at once (one journal note for all), not one after another.
    const write = await Promise.all(forms.map(async (form) => !await this.unchanged(form.path, form.entry)))
    await this.write(forms.filter((_, i) => write[i]))
    forms.forEach((form, i) => { this.record(form.path, form.path === path ? withKey(form.entry) : form.entry, write[i]!) })
  }

  /**
   * Where a document that its maker writes itself goes (a large OSV bundle, made on a worker thread from its
   * previous copy: export/bundle-job.ts): its file noted in the journal and its directory made, so that the
   * maker can write its temporary name, which this returns. Null when the document has no file path.
   */
  async reserve (url: ExportUrl, contentType: string): Promise<{ path: string, temp: string } | null> {
    let path: string
    try {
      path = filePathOf(url, contentType)
    } catch (err) {
      if (!(err instanceof LayoutError)) throw err
      return null
    }
    await this.prepare([path])
    return { path, temp: tempPathOf(join(this.outDir, path)) }
  }

  /** Places a document its maker wrote to the temporary name `reserve` gave, with the .gz made from its parts. */
  async putWritten (doc: Written, input: string | null = null): Promise<void> {
    const temp = tempPathOf(join(this.outDir, filePathOf(doc.url, doc.contentType)))
    const place = this.begin(doc.url, doc.contentType, ['.gz'], input)
    if (place === null) {
      await unlink(temp).catch(() => {})
      return
    }
    const { path, withKey } = place
    const entry = { sha256: doc.sha256, size: doc.size }
    const gz = this.gzipForm(path, doc.gzip)
    const [same, gzSame] = [await this.unchanged(path, entry), await this.unchanged(gz.path, gz.entry)]
    if (same) await unlink(temp).catch(() => {})
    else await rename(temp, join(this.outDir, path))
    if (!gzSame) await this.write([gz])
    this.record(path, withKey(entry), !same)
    this.record(gz.path, gz.entry, !gzSame)
  }

  /**
   * A document's paths claimed (its file and its precompressed forms, by suffix), or null when it cannot be
   * placed (the reason counted as skipped); the forms it had and no longer has go.
   */
  private begin (url: ExportUrl, contentType: string, suffixes: string[], input: string | null): { path: string, paths: string[], withKey: (e: FileEntry) => FileEntry } | null {
    let path: string
    try {
      path = filePathOf(url, contentType)
    } catch (err) {
      if (!(err instanceof LayoutError)) throw err
      this.counts.skipped.push({ url: url.url, reason: err.message })
      return null
    }
    const paths = [path, ...suffixes.map((s) => path + s)]
    const clash = this.claim(paths) ?? this.clashWithKept(url.url, path, paths)
    if (clash !== null) {
      this.counts.skipped.push({ url: url.url, reason: clash })
      return null
    }
    this.counts.documents++
    this.dropped.push(...[`${path}.gz`, `${path}.br`].filter((p) => !paths.includes(p) && this.previous.has(p)))
    return { path, paths, withKey: (e) => ({ sha256: e.sha256, size: e.size, url: url.url, input, grp: url.grp }) }
  }

  /** A .gz made from parts, as a form to write; its parts go into the manifest. */
  private gzipForm (path: string, gz: PreparedGzip): { path: string, bytes: Buffer, entry: FileEntry } {
    this.gzipParts.set(`${path}.gz`, gz.parts)
    return { path: `${path}.gz`, bytes: gz.bytes, entry: { sha256: gz.sha256, size: gz.bytes.length } }
  }

  private async gzipFromParts (body: Buffer, path: string): Promise<PreparedGzip> {
    const made = await gzipFromParts(body, readPreviousGzip(this.previousGzip(path)))
    return { bytes: made.bytes, sha256: sha256(made.bytes), parts: made.parts }
  }

  /** The previous .gz at `path` as the manifest recorded it, when it was made from parts (which it lists). */
  previousGzip (path: string): (RecordedFile & { parts: GzipPart[] }) | null {
    const known = this.previous.get(path)
    const parts = known === undefined || known === null ? [] : this.previousParts?.gzipParts(path, known.sha256) ?? []
    return parts.length === 0 ? null : { path: join(this.outDir, path), size: known!.size, sha256: known!.sha256, parts }
  }

  /** From this size a document's .gz is made from parts, and it has no .br. */
  get largeDocument (): number { return this.large }

  /** The new manifest's files (complete once finish has run). */
  get files (): Map<string, FileEntry> { return this.next }

  /**
   * Deletes what the previous manifest (or a killed run) had and this pass did not produce (a full pass), or
   * the files it is told are gone (an incremental one); then commits the manifest's changes in one transaction.
   */
  async finish (store: ExportManifestStore, ending: Ending, data: Manifest['data'], previousData: Manifest['data'] | null,
    advisories: ManifestChange['advisories'], listed: ListedAdvisory[]): Promise<TreeCounts> {
    // Only files inside the directory: a hand-edited manifest naming `../x` is never deleted.
    const gone = (ending.kind === 'full' ? this.unproduced() : [...new Set([...ending.gone, ...this.dropped])].filter((p) => !this.next.has(p))).filter(safeRelative).sort()
    for (const file of gone) {
      try {
        await unlink(join(this.outDir, file))
        this.counts.deleted++
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code
        if (code !== 'ENOENT' && code !== 'ENOTDIR' && code !== 'EISDIR') throw err
      }
    }
    await this.removeEmptyDirs(gone)
    // Nothing changed, not even a key or the data stamp: the manifest stays as it is.
    const same = this.changed.size === 0 && gone.length === 0 && JSON.stringify(data) === JSON.stringify(previousData)
    if (!same) store.commit({ data, files: ending.kind === 'full' && ending.all ? this.next : this.changed, removed: gone, advisories, gzipParts: this.gzipParts, listed: listedOf(listed) })
    if (ending.kind === 'incremental') {
      // The tree is what the manifest counts: the files this pass placed and every other it left alone.
      const totals = store.totals()
      Object.assign(this.counts, totals, { kept: totals.files - this.counts.written })
    }
    return this.counts
  }

  /** A full pass: the previous files it did not place. */
  private unproduced (): string[] {
    if (!(this.previous instanceof Map)) throw new Error('a full pass compares with every previous file')
    return [...(this.previous as Map<string, unknown>).keys()].filter((p) => !this.next.has(p))
  }

  /**
   * An incremental pass places only some documents, so a new one (no document of the previous export at its
   * URL) may land where a kept file or directory is: the manifest tells, and a full pass decides.
   */
  private clashWithKept (url: string, path: string, paths: string[]): string | null {
    if (this.incremental === null || this.documents.get(url)?.path === path) return null
    for (const p of paths) {
      if (this.previous.has(p) || this.incremental.hasFilesUnder(p) || ancestors(p).some((dir) => this.previous.has(dir))) {
        throw new NeedsFullPass(`${url} would be written to ${p}, where the previous export has a file or directory`)
      }
    }
    return null
  }

  /** Null when the paths are free, else why not: two URLs on one file, or a file where a directory must be. */
  private claim (paths: string[]): string | null {
    for (const path of paths) {
      if (this.next.has(path) || this.dirs.has(path)) return `another document already takes ${path}`
      // A known directory's ancestors are directories too (no path is ever both): only a new one is checked.
      if (this.dirs.has(dirname(path))) continue
      const file = ancestors(path).find((dir) => this.next.has(dir))
      if (file !== undefined) return `${file} is a file, so it cannot hold ${path}`
    }
    for (const path of paths) {
      this.next.set(path, { sha256: '', size: 0 })
      for (let dir = dirname(path); dir !== '.' && !this.dirs.has(dir); dir = dirname(dir)) this.dirs.add(dir)
    }
    return null
  }

  private record (path: string, entry: FileEntry, written: boolean): void {
    const known = this.previous.get(path)
    if (known === undefined || known === null || known.sha256 !== entry.sha256 || known.size !== entry.size || known.url !== entry.url ||
      (known.input ?? null) !== (entry.input ?? null) || (known.grp ?? null) !== (entry.grp ?? null)) this.changed.set(path, entry)
    this.next.set(path, entry)
    this.counts.files++
    this.counts.bytes += entry.size
    if (written) this.counts.written++
    else this.counts.kept++
  }

  /** The manifest has these bytes for `path`, and the file on disk holds them (by size, or by hash with verify). */
  private async unchanged (path: string, entry: FileEntry): Promise<boolean> {
    const known = this.previous.get(path)
    if (known === undefined || known === null || known.sha256 !== entry.sha256 || known.size !== entry.size) return false
    return await this.onDisk(path, known)
  }

  private async allOnDisk (paths: string[]): Promise<boolean> {
    for (const path of paths) {
      const known = this.previous.get(path)
      if (known === undefined || known === null || !await this.onDisk(path, known)) return false
    }
    return true
  }

  private async onDisk (path: string, entry: FileEntry): Promise<boolean> {
    const file = join(this.outDir, path)
    try {
      const info = await stat(file)
      if (!info.isFile() || info.size !== entry.size) return false
      return !this.verify || sha256(await readFile(file)) === entry.sha256
    } catch {
      return false
    }
  }

  private async write (files: Array<{ path: string, bytes: Buffer }>): Promise<void> {
    if (files.length === 0) return
    await this.prepare(files.map((f) => f.path))
    await Promise.all(files.map(async ({ path, bytes }) => { await writeFileAtomic(join(this.outDir, path), bytes, false) }))
  }

  /** Before files are written: noted in the journal (a killed run's temporary files are then found), directories made. */
  private async prepare (paths: string[]): Promise<void> {
    await this.journal.record(...paths)
    for (const path of paths) {
      this.written.add(path)
      const dir = dirname(path)
      if (!this.madeDirs.has(dir)) {
        await this.makeDir(dir)
        this.madeDirs.add(dir)
      }
    }
  }

  /** A file of the previous export where this one needs a directory (a layout change) makes way for it. */
  private async makeDir (dir: string): Promise<void> {
    try {
      await mkdir(join(this.outDir, dir), { recursive: true })
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code
      if (code !== 'EEXIST' && code !== 'ENOTDIR') throw err
      const blocking = ancestors(`${dir}/x`).find((d) => this.previous.has(d))
      if (blocking === undefined) throw err
      await unlink(join(this.outDir, blocking))
      this.counts.deleted++
      await mkdir(join(this.outDir, dir), { recursive: true })
    }
  }

  /** Directories the deletions emptied, deepest first; one that still holds anything (an operator's file) stays. */
  private async removeEmptyDirs (gone: string[]): Promise<void> {
    const dirs = new Set<string>()
    for (const file of gone) for (const dir of ancestors(file)) if (!this.dirs.has(dir)) dirs.add(dir)
    for (const dir of [...dirs].sort((a, b) => b.split('/').length - a.split('/').length || (a < b ? -1 : 1))) {
      await rmdir(join(this.outDir, dir)).catch(() => {})
    }
  }
}

/** The advisories in list order as the manifest keeps them. */
function listedOf (listed: ListedAdvisory[]): ListedAdvisories {
  return listed.map((a) => [a.product, a.id, a.version, a.severity, a.withdrawn ? 1 : 0, a.newest, a.pk])
}
