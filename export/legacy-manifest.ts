// The manifest of exports before llsc-export/2: `.llsc-export.json`, one line per file. Read once, so an
// export made by an earlier version is taken over (its files stay tracked, and those no longer produced
// are deleted) and replaced by the SQLite manifest (export/manifest.ts).
import { readFileSync } from 'node:fs'
import { ManifestFormatError as ManifestError, type FileEntry } from '../db/export-manifest.js'
import type { Manifest } from './manifest.js'

export const legacyManifestName = '.llsc-export.json'

const format = 'llsc-export/1'

/** The manifest in `path`, or null when there is none. */
export function readLegacyManifest (path: string): Manifest | null {
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
