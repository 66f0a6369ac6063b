// The export manifest, `.llsc-export.db` in the output directory (db/export-manifest.ts): every file the
// export wrote (the precompressed ones too) with the sha256 and size of its bytes, the document each main file
// holds with its key and group, and the advisories the export was made from. It is what a re-export compares
// with and the only list of files the export may ever delete; it changes in one transaction, after the files.
import { existsSync, unlinkSync } from 'node:fs'
import { join } from 'node:path'
import { ExportManifestStore, type FileEntry } from '../db/export-manifest.js'
import { legacyManifestName, readLegacyManifest } from './legacy-manifest.js'

export type { FileEntry } from '../db/export-manifest.js'
import type { LogPosition } from '../db/site-index.js'
export { ManifestFormatError as ManifestError } from '../db/export-manifest.js'

export const manifestName = '.llsc-export.db'

export interface ManifestData {
  generation: number
  changedAt: string
  /** Which repos were failing (SummaryStore.repoHealthKey): the worker exports again when it moves. */
  health?: string
  /** What every page shows (export/inputs.ts, siteKey): the documents' keys hold only under the same one. */
  site?: string
  /**
   * Where the database's log of changed advisories was (migration 0008) before the export read the data: the next
   * one reads the advisories changed after it (export/delta.ts).
   */
  log?: LogPosition
}

export interface Manifest {
  /** The data the export was made from, as the database stamps it. */
  data: ManifestData | null
  files: Map<string, FileEntry>
}

/** The manifest of `outDir` to read and change; made when `create` and missing, else null when missing. */
export function openManifest (outDir: string, create: boolean): ExportManifestStore | null {
  return ExportManifestStore.open(join(outDir, manifestName), { create })
}

/**
 * Every file of the manifest in `outDir` (or of an earlier version's `.llsc-export.json`), or null when there
 * is none: what a full export compares with, and what the tests read.
 */
export function readManifest (outDir: string): Manifest | null {
  const store = ExportManifestStore.open(join(outDir, manifestName), { create: false, readonly: true })
  if (store === null) return readLegacyManifest(join(outDir, legacyManifestName))
  try {
    return { data: store.data() as ManifestData | null, files: store.allFiles() }
  } finally {
    store.close()
  }
}

/** Once the new manifest is committed, an earlier version's goes (its files are all in the new one or deleted). */
export function removeLegacyManifest (outDir: string): void {
  const path = join(outDir, legacyManifestName)
  if (existsSync(path)) unlinkSync(path)
}

/** Per URL with a key, the file it was written to and that key, from a manifest's files. */
export function documentsOf (files: Map<string, FileEntry | null>): Map<string, { path: string, input: string }> {
  const documents = new Map<string, { path: string, input: string }>()
  for (const [path, entry] of files) {
    if (entry?.url !== undefined && typeof entry.input === 'string') documents.set(entry.url, { path, input: entry.input })
  }
  return documents
}

/** A manifest lists files inside the directory only: a hand-edited `../x` is never deleted (checked before deleting). */
export function safeRelative (file: string): boolean {
  return file !== '' && !file.startsWith('/') && file.split('/').every((s) => s !== '' && s !== '.' && s !== '..')
}
