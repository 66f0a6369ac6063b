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
  const cutter = new PartCutter((part) => { ends.push((ends.at(-1) ?? 0) + part.length) })
  cutter.push(body)
  cutter.end()
  return ends
}

/**
 * Cuts a document given in pieces of any size into its parts, each handed to `onPart` (a view of a buffer used
 * again: valid until `onPart` returns). The same cuts whatever the pieces: a part ends after a line whose head
 * hashes to 0 modulo `cutEvery`, after the document's last byte, or once it holds `maxPart` bytes.
 */
class PartCutter {
  /** Bytes given and not yet in a part are window[first, length); the current line starts at `at`. */
  private window: Buffer | null = null
  private first = 0
  private at = 0
  private length = 0

  constructor (private readonly onPart: (part: Buffer) => void) {}

  push (bytes: Uint8Array): void {
    const window = this.window ??= Buffer.allocUnsafe(maxPart)
    for (let from = 0; from < bytes.length;) {
      if (this.length === window.length) {
        // Full: the current part's bytes move to the front (once per window, not once per part).
        window.copyWithin(0, this.first, this.length)
        this.length -= this.first
        this.at -= this.first
        this.first = 0
      }
      const n = Math.min(bytes.length - from, window.length - this.length)
      window.set(bytes.subarray(from, from + n), this.length)
      this.length += n
      from += n
      this.cut(false)
    }
  }

  end (): void {
    this.cut(true)
    if (this.length > this.first) this.emit(this.length)
  }

  /** Ends every part the window holds whole; at the end of the document, the last line ends one too. */
  private cut (last: boolean): void {
    const window = this.window!
    while (this.at < this.length) {
      const newline = window.indexOf(10, this.at)
      const full = this.first + maxPart
      let end: number
      if (newline >= 0 && newline < this.length) end = Math.min(newline + 1, full)
      else if (this.length >= full) end = full // a line longer than a part is cut within
      else if (last) end = this.length
      else return // the line goes on in the next piece
      if (end >= full || lineHash(window, this.at, Math.min(end, this.at + headBytes)) % cutEvery === 0) this.emit(end)
      else this.at = end
    }
  }

  private emit (end: number): void {
    this.onPart(this.window!.subarray(this.first, end))
    this.first = this.at = end
  }
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
  const gzip = new GzipFromParts(previous)
  gzip.push(body)
  return await gzip.end()
}

/**
 * The same, for a document given in pieces (an OSV bundle copied from its previous file: never whole in memory).
 * A few new parts (an advisory revised) are compressed on the calling thread, at once: queued on libuv's threads
 * behind the other documents' compression, they made the OSV bundle the last file of the run. Past `here` (a
 * first export: every part), they go there, several at a time.
 */
export class GzipFromParts {
  private readonly known = new Map<string, Buffer>()
  private readonly cutter = new PartCutter((part) => { this.part(part) })
  private readonly pieces: Array<{ sha256: string, size: number, deflated: Buffer | Promise<Buffer> }> = []
  private crc = 0
  private size = 0
  private compressed = 0

  constructor (previous: { gz: Buffer, parts: GzipPart[] } | null, private readonly here = compressHere) {
    for (const p of previous?.parts ?? []) {
      if (p.offset >= header.length && p.offset + p.length <= previous!.gz.length - finalBlock.length - 8) this.known.set(p.sha256, previous!.gz.subarray(p.offset, p.offset + p.length))
    }
  }

  push (bytes: Uint8Array): void {
    this.crc = zlib.crc32(bytes, this.crc)
    this.size += bytes.length
    this.cutter.push(bytes)
  }

  async end (): Promise<PartedGzip> {
    this.cutter.end()
    const trailer = Buffer.alloc(8)
    trailer.writeUInt32LE(this.crc, 0)
    trailer.writeUInt32LE(this.size % 2 ** 32, 4)
    const deflated = await Promise.all(this.pieces.map(async (p) => await p.deflated))
    const parts: GzipPart[] = []
    let offset = header.length
    this.pieces.forEach((p, i) => {
      parts.push({ sha256: p.sha256, size: p.size, offset, length: deflated[i]!.length })
      offset += deflated[i]!.length
    })
    return { bytes: Buffer.concat([header, ...deflated, finalBlock, trailer]), parts, compressed: this.compressed }
  }

  private part (bytes: Buffer): void {
    const sha256 = createHash('sha256').update(bytes).digest('hex')
    let deflated: Buffer | Promise<Buffer> | undefined = this.known.get(sha256)
    if (deflated === undefined) {
      this.compressed++
      // The bytes are a view of the cutter's buffer: compressed now, or copied for the thread pool.
      if (this.compressed <= this.here) deflated = zlib.deflateRawSync(bytes, partOptions)
      else {
        const copy = Buffer.from(bytes)
        deflated = onThreads(async () => await deflateRaw(copy, partOptions))
      }
    }
    this.pieces.push({ sha256, size: bytes.length, deflated })
  }
}
