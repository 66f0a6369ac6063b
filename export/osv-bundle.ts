// A product's OSV bundle (`/api/v1/osv/<product>/all.ndjson`) made again from the previous export's copy:
// the line of every advisory whose OSV record kept its key is taken from the old file, only the others are
// made with the server's own toOsv. Rendering the whole bundle reads every advisory (seconds at 20,000 of
// them), and one changed advisory changes the bundle. The lines and their order are the live route's
// (server/api/osv-export.ts): the export test compares the bytes with the app's answer.
import type { FastifyInstance } from 'fastify'
import { readFileSync } from 'node:fs'
import { createHash } from 'node:crypto'
import { join } from 'node:path'
import type { ListedAdvisory } from '../db/site-index.js'
import { osvId, toOsv } from '../server/api/osv.js'
import type { PreviousDocuments, PreviousFiles } from './write-tree.js'
import type { Rendered } from './render.js'
import type { ExportUrl } from './urls.js'

export interface BundleSource {
  outDir: string
  /** The previous export's files, and its documents with their keys (under the same site key). */
  previous: PreviousFiles
  documents: PreviousDocuments
  /** An advisory whose OSV record may differ from the previous export's: made again. */
  changed: (a: ListedAdvisory) => boolean
  baseUrl: string
}

const ndjson = 'application/x-ndjson; charset=utf-8'

/**
 * The bundle of `product`, or null when there is no previous copy to start from (or it is not the bytes the
 * manifest says): the caller then renders it through the app.
 */
export async function bundleFromPrevious (app: FastifyInstance, url: ExportUrl, product: string, index: ListedAdvisory[], source: BundleSource): Promise<Rendered | null> {
  const old = previousLines(source, url.url)
  if (old === null) return null
  const lines: Array<Buffer | null> = []
  const fresh: ListedAdvisory[] = []
  const members = index.filter((a) => a.product === product)
  for (const a of members) {
    const kept = source.changed(a) ? undefined : old.get(osvId(a.product, a.id))
    if (kept === undefined) fresh.push(a)
    lines.push(kept ?? null)
  }
  if (fresh.length > 0) {
    const made = app.data.read(() => new Map(fresh.map((a) => {
      const detail = app.advisories.get(a.product, a.id)
      return [a.pk, detail === null ? null : Buffer.from(JSON.stringify(toOsv(source.baseUrl, detail)))]
    })))
    members.forEach((a, i) => { if (lines[i] === null) lines[i] = made.get(a.pk)! })
  }
  // Bytes, not strings: at 20,000 advisories the bundle is 60 MB, and decoding and encoding it is most of the work.
  const body = Buffer.concat(lines.flatMap((l) => l === null ? [] : [l, newline]))
  return { url, contentType: ndjson, body }
}

const newline = Buffer.from('\n')

/** OSV id -> line of the previous bundle (its bytes), when its file holds the bytes the manifest recorded. */
function previousLines (source: BundleSource, url: string): Map<string, Buffer> | null {
  const known = source.documents.get(url)
  const entry = known === undefined ? null : source.previous.get(known.path) ?? null
  if (known === undefined || entry === null) return null
  let bytes: Buffer
  // Read at once, not in the promise API's 512 KB pieces: each piece waited for the renders between them, and
  // the bundle (placed first, so its compression overlaps them) was read last.
  try { bytes = readFileSync(join(source.outDir, known.path)) } catch { return null }
  if (bytes.length !== entry.size || createHash('sha256').update(bytes).digest('hex') !== entry.sha256) return null
  const lines = new Map<string, Buffer>()
  for (let start = 0; start < bytes.length;) {
    const end = bytes.indexOf(10, start)
    const line = bytes.subarray(start, end < 0 ? bytes.length : end)
    start = end < 0 ? bytes.length : end + 1
    const id = recordId(line)
    if (id !== null) lines.set(id, line)
  }
  return lines
}

const idKey = Buffer.from('","id":"')

/**
 * Every record starts `{"schema_version":"...","id":"..."` (toOsv's first two keys): the id is found in the
 * bytes and only it is decoded (decoding each line's head took a fifth of the bundle's time at 20,000).
 */
function recordId (line: Buffer): string | null {
  const at = line.indexOf(idKey)
  if (at < 0 || at > 64 || !line.subarray(0, 19).equals(schemaKey)) return null
  const open = at + idKey.length - 1
  // The closing quote: the first one not escaped (an id holds no quote but may hold a backslash escape).
  let close = open + 1
  while (close < line.length && line[close] !== 0x22) close += line[close] === 0x5c ? 2 : 1
  if (close >= line.length) return null
  return JSON.parse(line.subarray(open, close + 1).toString('utf8')) as string
}

const schemaKey = Buffer.from('{"schema_version":"')
