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
  /** The previous copy is read back and compared by hash (--verify), not only by size. */
  verify: boolean
}

const ndjson = 'application/x-ndjson; charset=utf-8'

/**
 * The bundle of `product`, or null when there is no previous copy to start from (or it is not the bytes the
 * manifest says): the caller then renders it through the app.
 */
export async function bundleFromPrevious (app: FastifyInstance, url: ExportUrl, product: string, index: ListedAdvisory[], source: BundleSource): Promise<Rendered | null> {
  const old = previousLines(source, url.url)
  if (old === null) return null
  // The new bundle as pieces: ranges of the old file (a run of lines kept in the same order is one range, so
  // the 60 MB are copied in a few large pieces, not 20,000 small ones) and the lines made again.
  const pieces: Array<Buffer | [start: number, end: number] | number> = []
  const fresh: ListedAdvisory[] = []
  let run: [number, number] | null = null
  for (const a of index) {
    if (a.product !== product) continue
    const kept = source.changed(a) ? undefined : old.lines.get(osvId(a.product, a.id))
    if (kept !== undefined && run !== null && run[1] === kept[0]) {
      run[1] = kept[1]
      continue
    }
    run = kept === undefined ? null : [kept[0], kept[1]]
    if (run !== null) pieces.push(run)
    else {
      fresh.push(a)
      pieces.push(a.pk)
    }
  }
  if (fresh.length > 0) {
    const made = app.data.read(() => new Map(fresh.map((a) => {
      const detail = app.advisories.get(a.product, a.id)
      return [a.pk, detail === null ? null : Buffer.from(JSON.stringify(toOsv(source.baseUrl, detail)) + '\n')]
    })))
    for (let i = 0; i < pieces.length; i++) {
      const piece = pieces[i]!
      if (typeof piece === 'number') pieces[i] = made.get(piece) ?? empty
    }
  }
  // Bytes, not strings: at 20,000 advisories the bundle is 60 MB, and decoding and encoding it is most of the work.
  const body = Buffer.concat(pieces.map((p) => typeof p === 'number' ? empty : Buffer.isBuffer(p) ? p : old.bytes.subarray(p[0], p[1])))
  return { url, contentType: ndjson, body }
}

const empty = Buffer.alloc(0)

/**
 * The previous bundle and where each OSV id's line is in it (its newline included), when its file holds what
 * the manifest recorded: by size, as for every file the export keeps, or by hash with --verify.
 */
function previousLines (source: BundleSource, url: string): { bytes: Buffer, lines: Map<string, [start: number, end: number]> } | null {
  const known = source.documents.get(url)
  const entry = known === undefined ? null : source.previous.get(known.path) ?? null
  if (known === undefined || entry === null) return null
  let bytes: Buffer
  // Read at once, not in the promise API's 512 KB pieces: each piece waited for the renders between them, and
  // the bundle (placed first, so its compression overlaps them) was read last.
  try { bytes = readFileSync(join(source.outDir, known.path)) } catch { return null }
  if (bytes.length !== entry.size || (source.verify && createHash('sha256').update(bytes).digest('hex') !== entry.sha256)) return null
  if (bytes.length > 0 && bytes[bytes.length - 1] !== 10) return null
  const lines = new Map<string, [number, number]>()
  for (let start = 0; start < bytes.length;) {
    const end = bytes.indexOf(10, start) + 1
    const id = end === 0 ? null : recordId(bytes, start, end)
    if (id === null) return null
    lines.set(id, [start, end])
    start = end
  }
  return { bytes, lines }
}

const idKey = Buffer.from('","id":"')

/**
 * Every record starts `{"schema_version":"...","id":"..."` (toOsv's first two keys): the id is found in the
 * bytes and only it is decoded (decoding each line's head took a fifth of the bundle's time at 20,000).
 */
function recordId (bytes: Buffer, start: number, end: number): string | null {
  const head = bytes.subarray(start, Math.min(end, start + 96))
  const at = head.indexOf(idKey)
  if (at < 0 || !head.subarray(0, schemaKey.length).equals(schemaKey)) return null
  const open = start + at + idKey.length - 1
  // The closing quote: the first one not escaped (an id holds no quote but may hold a backslash escape).
  let close = open + 1
  while (close < end && bytes[close] !== 0x22) close += bytes[close] === 0x5c ? 2 : 1
  if (close >= end) return null
  return JSON.parse(bytes.subarray(open, close + 1).toString('utf8')) as string
}

const schemaKey = Buffer.from('{"schema_version":"')
