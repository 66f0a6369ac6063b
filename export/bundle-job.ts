// The byte work of a product's OSV bundle made again from its previous copy (export/osv-bundle.ts decides what
// goes in it): the previous copy checked, each kept record's line found by its OSV id, the new bundle written
// to its temporary file from ranges of the old file and the lines made again, hashed, and its .gz made from
// parts. Both files pass through one buffer of a few megabytes, never whole: at 20,000 advisories the bundle
// is 60 MB, and a fresh 60 MB buffer cost 0.2 s of page faults alone. export/bundle-worker.ts runs this on a
// worker thread while the main thread renders the other documents.
import { createHash } from 'node:crypto'
import { closeSync, fstatSync, openSync, readFileSync, readSync, writeSync } from 'node:fs'
import { GzipFromParts, type GzipPart } from './gzip-parts.js'

/** A file of the previous export as the manifest recorded it. */
export interface RecordedFile {
  /** Absolute. */
  path: string
  size: number
  /** Checked when given: with --verify for the bundle, always for a .gz whose parts are copied. */
  sha256: string | null
}

export interface BundleJob {
  previous: RecordedFile
  /** The bundle's lines in order: an OSV id, kept from the previous copy, or the index of a line in `fresh`. */
  order: Array<string | number>
  /** Lines made again, each with its newline (empty for an advisory gone meanwhile). */
  fresh: Uint8Array[]
  /** Where the new bundle is written (absolute: its temporary name, which the caller has noted in the journal). */
  target: string
  /** From this size the bundle gets a .gz from parts, copying those of `previousGzip` that hold (export/gzip-parts.ts). */
  largeDocument: number
  previousGzip: (RecordedFile & { parts: GzipPart[] }) | null
}

export type BundleResult =
  /** Written to the target; `gzip` when it is large (else the caller compresses it as any document). */
  | { kind: 'made', size: number, sha256: string, gzip: { bytes: Uint8Array, sha256: string, parts: GzipPart[] } | null }
  /** The previous copy is not what the manifest says (or not a bundle): the bundle is rendered afresh. */
  | { kind: 'unusable' }
  /** Records to keep that the previous copy lacks: their lines are made too, and the job runs again. */
  | { kind: 'missing', ids: string[] }

/** The files are read in pieces of this size into one buffer (a longer line: a larger buffer). */
const piece = 4 * 1024 * 1024

export async function runBundleJob (job: BundleJob): Promise<BundleResult> {
  let fd: number
  try { fd = openSync(job.previous.path, 'r') } catch { return { kind: 'unusable' } }
  try {
    const old = previousLines(fd, job.previous)
    if (old === null) return { kind: 'unusable' }
    const missing = job.order.filter((p): p is string => typeof p === 'string' && !old.has(p))
    if (missing.length > 0) return { kind: 'missing', ids: missing }
    const pieces = piecesOf(job, old)
    const size = pieces.reduce((n, p) => n + (Array.isArray(p) ? p[1] - p[0] : p.length), 0)
    const gzip = size >= job.largeDocument ? new GzipFromParts(readPreviousGzip(job.previousGzip), Infinity) : null
    const hash = createHash('sha256')
    const out = openSync(job.target, 'w')
    try {
      const take = (bytes: Uint8Array): void => {
        for (let at = 0; at < bytes.length;) at += writeSync(out, bytes, at, bytes.length - at)
        hash.update(bytes)
        gzip?.push(bytes)
      }
      const buffer = Buffer.allocUnsafe(piece)
      for (const p of pieces) {
        if (!Array.isArray(p)) {
          take(p)
          continue
        }
        for (let at = p[0]; at < p[1]; at += piece) {
          const length = Math.min(piece, p[1] - at)
          if (!readAll(fd, buffer, 0, length, at)) return { kind: 'unusable' }
          take(buffer.subarray(0, length))
        }
      }
    } finally {
      closeSync(out)
    }
    const made = gzip === null ? null : await gzip.end()
    return { kind: 'made', size, sha256: hash.digest('hex'), gzip: made === null ? null : { bytes: made.bytes, sha256: sha256(made.bytes), parts: made.parts } }
  } finally {
    closeSync(fd)
  }
}

/** The new bundle as pieces: a run of lines kept in the same order is one range of the old file. */
function piecesOf (job: BundleJob, old: Map<string, [number, number]>): Array<Uint8Array | [start: number, end: number]> {
  const pieces: Array<Uint8Array | [start: number, end: number]> = []
  let run: [number, number] | null = null
  for (const p of job.order) {
    const kept = typeof p === 'string' ? old.get(p)! : null
    if (kept !== null && run !== null && run[1] === kept[0]) {
      run[1] = kept[1]
      continue
    }
    if (run !== null) pieces.push(run)
    run = kept === null ? null : [kept[0], kept[1]]
    if (kept === null) pieces.push(job.fresh[p as number]!)
  }
  if (run !== null) pieces.push(run)
  return pieces
}

/** A .gz made from parts and its parts, when the file holds the bytes the manifest recorded. */
export function readPreviousGzip (recorded: (RecordedFile & { parts: GzipPart[] }) | null): { gz: Buffer, parts: GzipPart[] } | null {
  if (recorded === null || recorded.parts.length === 0) return null
  const gz = readRecorded(recorded)
  return gz === null ? null : { gz, parts: recorded.parts }
}

function readRecorded (file: RecordedFile): Buffer | null {
  let bytes: Buffer
  // Read at once, not in the promise API's 512 KB pieces (each would queue on libuv's threads).
  try { bytes = readFileSync(file.path) } catch { return null }
  return bytes.length === file.size && (file.sha256 === null || sha256(bytes) === file.sha256) ? bytes : null
}

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex')

/**
 * Where each OSV id's line is in the previous bundle (its newline included), when the file is what the manifest
 * recorded (its size, and its sha256 when given) and every line is a record; else null.
 */
export function previousLines (fd: number, file: RecordedFile, pieceSize = piece): Map<string, [start: number, end: number]> | null {
  if (fstatSync(fd).size !== file.size) return null
  const hash = file.sha256 === null ? null : createHash('sha256')
  const lines = new Map<string, [number, number]>()
  let buffer = Buffer.allocUnsafe(Math.min(pieceSize, Math.max(file.size, 1)))
  // The file offset of buffer[0]: each piece starts at the first line the last one did not hold whole.
  for (let position = 0; position < file.size;) {
    const length = Math.min(buffer.length, file.size - position)
    if (!readAll(fd, buffer, 0, length, position)) return null
    let start = 0
    for (let newline = buffer.indexOf(10); newline >= 0 && newline < length; newline = buffer.indexOf(10, start)) {
      const id = recordId(buffer, start, newline + 1)
      if (id === null) return null
      lines.set(id, [position + start, position + newline + 1])
      start = newline + 1
    }
    if (start === 0) {
      // No newline in the piece: the file ends without one (not a bundle), or a line is longer than the buffer.
      if (position + length === file.size) return null
      buffer = Buffer.allocUnsafe(buffer.length * 2)
      continue
    }
    hash?.update(buffer.subarray(0, start))
    position += start
  }
  return hash === null || hash.digest('hex') === file.sha256 ? lines : null
}

/** Reads `length` bytes at `position` into buffer[offset...]; false when the file ends first. */
function readAll (fd: number, buffer: Buffer, offset: number, length: number, position: number): boolean {
  for (let done = 0; done < length;) {
    const read = readSync(fd, buffer, offset + done, length - done, position + done)
    if (read === 0) return false
    done += read
  }
  return true
}

const idKey = Buffer.from('","id":"')
const schemaKey = Buffer.from('{"schema_version":"')

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
