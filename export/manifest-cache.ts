// The last export's manifest as an incremental pass reads it: a group's documents and all their files in one
// query, kept for the pass. Asking the manifest once per file (a document's main file, .gz and .br, its URL)
// cost 0.35 s at 20,000 advisories, where a pass keeps about a thousand list pages; single lookups remain for
// what lies outside the groups read (a new document's path, checked for a clash).
import type { ExportManifestStore, FileEntry, StoredDocument } from '../db/export-manifest.js'
import type { PreviousDocuments, PreviousFiles } from './write-tree.js'

export class ManifestCache implements PreviousFiles {
  private readonly files = new Map<string, FileEntry>()
  private readonly documents = new Map<string, StoredDocument>()
  /** Main files read with their group: whether their .gz and .br exist is known too. */
  private readonly complete = new Set<string>()

  constructor (readonly store: ExportManifestStore) {}

  /** The documents of a group, reading all their files at once. */
  documentsOf (grp: string): StoredDocument[] {
    const documents: StoredDocument[] = []
    for (const { path, entry } of this.store.groupFiles(grp)) {
      this.files.set(path, entry)
      if (entry.url === undefined || entry.grp !== grp) continue
      const document = { url: entry.url, path, input: entry.input ?? null, grp }
      this.documents.set(entry.url, document)
      this.complete.add(path)
      documents.push(document)
    }
    return documents
  }

  file (path: string): FileEntry | undefined {
    const known = this.files.get(path)
    if (known !== undefined) return known
    // Without a regular expression: this runs a few times for each of the thousand documents a pass keeps.
    const main = path.endsWith('.gz') || path.endsWith('.br') ? path.slice(0, -3) : path
    return this.complete.has(main) ? undefined : this.store.file(path)
  }

  get (path: string): FileEntry | undefined { return this.file(path) }

  has (path: string): boolean { return this.file(path) !== undefined }

  /** A document of a group read before; else (a document the last export may not have) the manifest is asked. */
  document (url: string): StoredDocument | undefined {
    return this.documents.get(url) ?? this.store.document(url)
  }

  /** The documents as the tree writer asks for them. */
  readonly byUrl: PreviousDocuments = { get: (url) => this.document(url) }
}
