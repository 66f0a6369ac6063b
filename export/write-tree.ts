// Puts rendered documents into the output directory, incrementally: a file is written only when its bytes
// differ from the manifest's (or the file on disk is missing or differs), each through a temporary name and
// a rename; files the previous manifest lists that are no longer produced are deleted (nothing else ever
// is), and the new manifest is written last.
import { createHash } from 'node:crypto'
import { mkdir, readFile, rmdir, stat, unlink } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { writeFileAtomic } from './atomic-file.js'
import type { Journal } from './journal.js'
import { filePathOf, isText, LayoutError } from './layout.js'
import { manifestName, safeRelative, writeManifest, type FileEntry, type Manifest } from './manifest.js'
import { precompress, precompressThreshold } from './precompress.js'
import type { Rendered } from './render.js'

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

export class TreeWriter {
  private readonly next = new Map<string, FileEntry>()
  /** Every directory the new tree needs: a file may not take a directory's name, nor the reverse. */
  private readonly dirs = new Set<string>(['', '.'])
  private readonly madeDirs = new Set<string>()
  /** An entry differs from the previous manifest's (bytes, or the document's key). */
  private dirty = false
  readonly counts: TreeCounts = { documents: 0, files: 0, bytes: 0, written: 0, kept: 0, deleted: 0, skipped: [] }

  /**
   * `previous`: the last manifest's files, plus (with no hash) what a killed run's journal lists.
   * `verify`: a kept file is read back and compared by hash, not only by size.
   */
  constructor (private readonly outDir: string, private readonly previous: Map<string, FileEntry | null>,
    private readonly journal: Journal, private readonly verify: boolean,
    /** The previous export's documents with their keys, when made under the same site key; else empty. */
    private readonly documents: Map<string, { path: string, input: string }> = new Map()) {}

  /**
   * Keeps a document without rendering it when the last export wrote it under the same key, with every one of
   * its files recorded (a killed run's journal leaves them unrecorded). The files are not read or even
   * stat'ed: the manifest is the record of the tree, and `--verify` (which renders everything) checks it.
   */
  keep (url: string, input: string): boolean {
    const known = this.documents.get(url)
    if (this.verify || known === undefined || known.input !== input) return false
    const main = this.previous.get(known.path)
    if (main === undefined || main === null) return false
    const paths = [known.path, `${known.path}.gz`, `${known.path}.br`].filter((p) => this.previous.has(p))
    if (paths.some((p) => this.previous.get(p) === null) || this.claim(paths) !== null) return false
    this.counts.documents++
    for (const p of paths) this.record(p, p === known.path ? { ...main, url, input } : this.previous.get(p)!, false)
    return true
  }

  /** Places one document, with its precompressed forms when it is text of 1 KB or more; `input`: its key, if any. */
  async put (doc: Rendered, input: string | null = null): Promise<void> {
    let path: string
    try {
      path = filePathOf(doc.url, doc.contentType)
    } catch (err) {
      if (!(err instanceof LayoutError)) throw err
      this.counts.skipped.push({ url: doc.url.url, reason: err.message })
      return
    }
    const compress = isText(doc.contentType) && doc.body.length >= precompressThreshold
    const paths = compress ? [path, `${path}.gz`, `${path}.br`] : [path]
    const clash = this.claim(paths)
    if (clash !== null) {
      this.counts.skipped.push({ url: doc.url.url, reason: clash })
      return
    }
    this.counts.documents++
    const entry = { sha256: sha256(doc.body), size: doc.body.length }
    const withKey = (e: FileEntry): FileEntry => input === null ? { sha256: e.sha256, size: e.size } : { sha256: e.sha256, size: e.size, url: doc.url.url, input }
    // Unchanged bytes, with every form in place: nothing to compress or write.
    if (await this.unchanged(path, entry) && await this.allOnDisk(paths.slice(1))) {
      for (const p of paths) this.record(p, p === path ? withKey(this.previous.get(p)!) : this.previous.get(p)!, false)
      return
    }
    const forms = [{ path, bytes: doc.body, entry }]
    if (compress) {
      for (const c of await precompress(doc.body)) forms.push({ path: path + c.suffix, bytes: c.bytes, entry: { sha256: sha256(c.bytes), size: c.bytes.length } })
    }
    for (const form of forms) {
      const write = !await this.unchanged(form.path, form.entry)
      if (write) await this.write(form.path, form.bytes)
      this.record(form.path, form.path === path ? withKey(form.entry) : form.entry, write)
    }
  }

  /** The new manifest's files (complete once finish has run). */
  get files (): Map<string, FileEntry> { return this.next }

  /** Deletes what the previous manifest (or a killed run) had and this run did not produce; writes the manifest. */
  async finish (data: Manifest['data'], previousData: Manifest['data'] | null): Promise<TreeCounts> {
    // Only files inside the directory: a hand-edited manifest naming `../x` never deletes it.
    const gone = [...this.previous.keys()].filter((p) => !this.next.has(p) && safeRelative(p)).sort()
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
    // Nothing changed, not even a key or the data stamp: the manifest on disk is already this one (at 20,000
    // advisories it is 100 MB, the largest write of a run that changed nothing).
    const same = !this.dirty && gone.length === 0 && this.next.size === this.previous.size && JSON.stringify(data) === JSON.stringify(previousData)
    if (!same) await writeManifest(join(this.outDir, manifestName), { data, files: this.next })
    return this.counts
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
    if (known === undefined || known === null || known.sha256 !== entry.sha256 || known.size !== entry.size || known.url !== entry.url || known.input !== entry.input) this.dirty = true
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

  private async write (path: string, bytes: Buffer): Promise<void> {
    await this.journal.record(path)
    const dir = dirname(path)
    if (!this.madeDirs.has(dir)) {
      await this.makeDir(dir)
      this.madeDirs.add(dir)
    }
    await writeFileAtomic(join(this.outDir, path), bytes, false)
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
