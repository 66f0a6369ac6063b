// The export manifest, `.llsc-export.json` in the output directory: every file the export wrote (the
// precompressed ones too), with the sha256 and size of its bytes. It is what a re-export compares with and
// the only list of files the export may ever delete. Written last, through a temporary file and a rename.
import { readFileSync } from 'node:fs'
import { writeFileAtomic } from './atomic-file.js'

export const manifestName = '.llsc-export.json'

/**
 * A file's bytes. The file a document is written to (not its .gz/.br) also names the document's URL and the
 * key of what it showed (export/inputs.ts), when it has one: a re-export keeps it without rendering while
 * the key holds.
 */
export interface FileEntry { sha256: string, size: number, url?: string, input?: string }

export interface ManifestData {
  generation: number
  changedAt: string
  /** Which repos were failing (SummaryStore.repoHealthKey): the worker exports again when it moves. */
  health?: string
  /** What every page shows (export/inputs.ts, siteKey): the documents' keys hold only under the same one. */
  site?: string
}

export interface Manifest {
  /** The data the export was made from, as the database stamps it. */
  data: ManifestData | null
  files: Map<string, FileEntry>
}

/** Per URL with a key, the file it was written to and that key, from a manifest's files. */
export function documentsOf (files: Map<string, FileEntry | null>): Map<string, { path: string, input: string }> {
  const documents = new Map<string, { path: string, input: string }>()
  for (const [path, entry] of files) {
    if (entry?.url !== undefined && entry.input !== undefined) documents.set(entry.url, { path, input: entry.input })
  }
  return documents
}

export class ManifestError extends Error { override name = 'ManifestError' }

const format = 'llsc-export/1'

/** The manifest in `path`, or null when there is none. */
export function readManifest (path: string): Manifest | null {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw err
  }
  const fast = readLines(text)
  if (fast !== null) return fast
  let parsed: unknown
  try { parsed = JSON.parse(text) } catch { throw new ManifestError(`${path} is not JSON: it was not written by this export; remove it to export afresh`) }
  const body = parsed as { format?: unknown, data?: Manifest['data'], files?: Record<string, FileEntry> }
  if (body.format !== format || typeof body.files !== 'object' || body.files === null) {
    throw new ManifestError(`${path} is not an export manifest of this version (format "${String(body.format)}"); remove it to export afresh`)
  }
  const files = new Map<string, FileEntry>()
  for (const [file, entry] of Object.entries(body.files)) {
    if (typeof entry?.sha256 !== 'string' || typeof entry.size !== 'number' ||
      (entry.url !== undefined && (typeof entry.url !== 'string' || typeof entry.input !== 'string'))) {
      throw new ManifestError(`${path}: the entry for "${file}" is not valid; remove the manifest to export afresh`)
    }
    files.set(file, entry.url === undefined ? { sha256: entry.sha256, size: entry.size } : { sha256: entry.sha256, size: entry.size, url: entry.url, input: entry.input })
  }
  return { data: body.data ?? null, files }
}

const header = `{\n  "format": "${format}",\n  "data": `
const fileLine = /^ {4}"((?:[^"\\]|\\.)*)": \{ "sha256": "([0-9a-f]{64})", "size": (\d+)(?:, "url": "((?:[^"\\]|\\.)*)", "input": "([0-9a-f]+)")? \},?$/
const jsonString = (inner: string): string => inner.includes('\\') ? JSON.parse(`"${inner}"`) as string : inner

/**
 * The manifest as manifestText writes it, a line per file, read line by line: at 740,000 files, JSON.parse
 * and a walk over the object take twice as long. Null when the text has another shape (edited by hand):
 * the caller then parses it as JSON.
 */
function readLines (text: string): Manifest | null {
  if (!text.startsWith(header)) return null
  const dataEnd = text.indexOf(',\n  "files": {\n', header.length)
  if (dataEnd < 0) return null
  let data: Manifest['data']
  try { data = JSON.parse(text.slice(header.length, dataEnd)) as Manifest['data'] } catch { return null }
  const files = new Map<string, FileEntry>()
  let start = dataEnd + ',\n  "files": {\n'.length
  for (;;) {
    const end = text.indexOf('\n', start)
    if (end < 0) return null
    const line = text.slice(start, end)
    if (line === '  }') return text.slice(end + 1) === '}\n' ? { data, files } : null
    const m = fileLine.exec(line)
    if (m === null) return null
    const [, file, sha256, size, url, input] = m as unknown as [string, string, string, string, string | undefined, string | undefined]
    files.set(jsonString(file), url === undefined ? { sha256, size: Number(size) } : { sha256, size: Number(size), url: jsonString(url), input: input! })
    start = end + 1
  }
}

/** A manifest lists files inside the directory only: a hand-edited `../x` is never deleted (checked before deleting). */
export function safeRelative (file: string): boolean {
  return file !== '' && !file.startsWith('/') && file.split('/').every((s) => s !== '' && s !== '.' && s !== '..')
}

/**
 * One line per file, sorted: the same files give the same bytes, and a diff of two manifests reads well.
 * In pieces of a few thousand lines: 20,000 advisories make a manifest of 740,000 files (about 100 MB).
 */
export function * manifestText (manifest: Manifest): Generator<string> {
  yield `{\n  "format": "${format}",\n  "data": ${JSON.stringify(manifest.data)},\n  "files": {\n`
  const files = [...manifest.files.keys()].sort()
  for (let start = 0; start < files.length; start += linesPerPiece) {
    yield files.slice(start, start + linesPerPiece).map((file, i) => {
      const { sha256, size, url, input } = manifest.files.get(file)!
      const document = url === undefined ? '' : `, "url": ${JSON.stringify(url)}, "input": "${input!}"`
      return `    ${JSON.stringify(file)}: { "sha256": "${sha256}", "size": ${size}${document} }${start + i < files.length - 1 ? ',' : ''}\n`
    }).join('')
  }
  yield '  }\n}\n'
}

const linesPerPiece = 5000

export async function writeManifest (path: string, manifest: Manifest): Promise<void> {
  await writeFileAtomic(path, manifestText(manifest))
}
