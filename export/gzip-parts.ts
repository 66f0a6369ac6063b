// The .gz of a large document (a product's OSV bundle: 60 MB at 20,000 advisories) made of parts, each
// compressed on its own as raw deflate ended by a sync flush, so that between one gzip header and trailer they
// make one ordinary gzip member (pigz joins its blocks the same way). A re-export compresses again only the
// parts whose bytes changed and copies the others out of the previous .gz: one revised advisory recompresses a
// few hundred kilobytes, not the whole bundle. Parts end after lines chosen by the lines' own first bytes
// (content-defined), so a line that changes, comes or goes moves no part boundary but its own.
import { createHash } from 'node:crypto'
import { promisify } from 'node:util'
import zlib from 'node:zlib'
import type { GzipPart } from '../db/export-manifest.js'
import { onThreads } from './precompress.js'

export type { GzipPart }

const deflateRaw = promisify(zlib.deflateRaw)
// Level 9 as for every other .gz: a part is compressed once and copied from then on. A sync flush ends it on a
// byte boundary without the final-block bit, so the next part's blocks can follow it.
const partOptions = { level: 9, finishFlush: zlib.constants.Z_SYNC_FLUSH }
/** Gzip header: deflate, no name or time (deterministic), maximum compression, OS unknown. */
const header = Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 2, 255])
/** An empty final block (fixed Huffman codes): the end of the deflate stream. */
const finalBlock = Buffer.from([3, 0])

/** A part ends after a line whose head hashes to 0 modulo this (about one line in 128: ~400 KB of OSV records)... */
const cutEvery = 128
/** ...or once it holds this much, whatever its lines (a document of long lines, or none: then within a line). */
const maxPart = 4 * 1024 * 1024
/** Up to this many parts to compress are compressed on the calling thread (about 40 ms each at level 9). */
const compressHere = 4
/** How much of a line's start decides whether a part ends after it (an OSV record's id is within it). */
const headBytes = 64

/** The end offset of every part of `body`, the last one `body.length`. */
export function partEnds (body: Buffer): number[] {
  const ends: number[] = []
  let start = 0
  for (let at = 0; at < body.length;) {
    const newline = body.indexOf(10, at)
    let end = newline < 0 ? body.length : newline + 1
    // A line longer than a part is cut within.
    if (end - start > maxPart) end = start + maxPart
    if (end === body.length || end - start >= maxPart || lineHash(body, at, Math.min(end, at + headBytes)) % cutEvery === 0) {
      ends.push(end)
      start = end
    }
    at = end
  }
  return ends
}

/** FNV-1a (32 bits) of body[from, to). */
function lineHash (body: Buffer, from: number, to: number): number {
  let h = 0x811c9dc5
  for (let i = from; i < to; i++) h = Math.imul(h ^ body[i]!, 0x01000193) >>> 0
  return h
}

export interface PartedGzip {
  bytes: Buffer
  parts: GzipPart[]
  /** How many parts were compressed (the others came from the previous .gz). */
  compressed: number
}

/**
 * The gzip of `body` from parts; `previous`: the last .gz made this way and its parts (checked by the caller
 * against the manifest), whose compressed parts are copied when a part's bytes are the same.
 */
export async function gzipFromParts (body: Buffer, previous: { gz: Buffer, parts: GzipPart[] } | null): Promise<PartedGzip> {
  const known = new Map<string, Buffer>()
  for (const p of previous?.parts ?? []) {
    if (p.offset >= header.length && p.offset + p.length <= previous!.gz.length - finalBlock.length - 8) known.set(p.sha256, previous!.gz.subarray(p.offset, p.offset + p.length))
  }
  let start = 0
  const cut = partEnds(body).map((end) => {
    const bytes = body.subarray(start, end)
    start = end
    const sha256 = createHash('sha256').update(bytes).digest('hex')
    return { bytes, sha256, known: known.get(sha256) }
  })
  const compressed = cut.filter((p) => p.known === undefined).length
  // A few new parts (an advisory revised) are compressed here, at once: queued on libuv's threads behind the other
  // documents' compression, they made the OSV bundle the last file of the run. Many (a first export) go there,
  // several at a time.
  const here = compressed <= compressHere
  const pieces = await Promise.all(cut.map(async (p) => ({
    sha256: p.sha256,
    size: p.bytes.length,
    deflated: p.known ?? (here ? zlib.deflateRawSync(p.bytes, partOptions) : await onThreads(async () => await deflateRaw(p.bytes, partOptions)))
  })))
  const trailer = Buffer.alloc(8)
  trailer.writeUInt32LE(zlib.crc32(body), 0)
  trailer.writeUInt32LE(body.length % 2 ** 32, 4)
  const parts: GzipPart[] = []
  let offset = header.length
  for (const p of pieces) {
    parts.push({ sha256: p.sha256, size: p.size, offset, length: p.deflated.length })
    offset += p.deflated.length
  }
  return { bytes: Buffer.concat([header, ...pieces.map((p) => p.deflated), finalBlock, trailer]), parts, compressed }
}
