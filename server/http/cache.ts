// Conditional GET for everything rendered from the data. The ETag is the MD5 of the body's identity bytes, so
// replicas and the static export give equal validators for equal bytes; it is worked out once, when a body is
// rendered, and kept per data version, so a 304 costs no rendering. Rendered bodies are kept in a bounded LRU.
import type { FastifyReply, FastifyRequest } from 'fastify'
import { createHash } from 'node:crypto'
import type { IncomingHttpHeaders } from 'node:http'
import { setImmediate as nextTurn } from 'node:timers/promises'
import { Readable } from 'node:stream'
import type { DataStamp } from '../../db/summary-store.js'
import { headerList, setHeaders, type HeaderList } from './header-list.js'
import { whileIdle } from './idle-connection.js'
import { compressBytes, compressThreshold, finalBodies, preferredEncoding, varyOnEncoding, varyWithEncoding, type Encoding } from './compress.js'

export interface Version {
  /** The data state a body is rendered from, as this process tells states apart: keys the caches, never sent. */
  key: string
  /** When the data last changed (the local time of the ingest that changed it); null: no Last-Modified. */
  lastModified: Date | null
  lastModifiedText: string | null
}

// The same stamp object comes back until the data changes: remember what was made from it.
const versions = new WeakMap<DataStamp, Map<string, Version>>()

/** `data`: advisories only; `state`: also the repos' ingest state (the products page). */
export function versionOf (stamp: DataStamp, scope: 'data' | 'state'): Version {
  let byScope = versions.get(stamp)
  if (byScope === undefined) { byScope = new Map(); versions.set(stamp, byScope) }
  let version = byScope.get(scope)
  if (version === undefined) {
    const changed = Date.parse(stamp.changedAt)
    const lastRun = stamp.lastRunAt === null ? 0 : Date.parse(stamp.lastRunAt)
    const lastModified = new Date(scope === 'data' ? changed : Math.max(changed, lastRun))
    const key = scope === 'data' ? `d${stamp.generation}` : `s${stamp.generation}.${stamp.stateGeneration}`
    version = { key, lastModified, lastModifiedText: lastModified.toUTCString() }
    byScope.set(scope, version)
  }
  return version
}

/** The opaque part of every ETag: the hex MD5 of the identity bytes, what an S3 bucket gives a file of those bytes. */
export function bodyTag (bytes: Buffer): string {
  return createHash('md5').update(bytes).digest('hex')
}

/**
 * The ETag sent with one form of a body: strong for the identity bytes, weak for a compressed form, which is
 * the same content but not the same bytes (RFC 9110 8.8.1; nginx weakens a strong ETag when it compresses).
 */
export function etagOf (tag: string, encoding: Encoding | null): string {
  return encoding === null ? `"${tag}"` : `W/"${tag}"`
}

/**
 * True when the client's copy is current. If-None-Match wins over If-Modified-Since and uses the weak
 * comparison (RFC 9110 13.1.2, 13.2.2): any listed tag, W/ or not, or `*`.
 */
export function isFresh (headers: IncomingHttpHeaders, tag: string, lastModified: Date | null): boolean {
  const ifNoneMatch = headers['if-none-match']
  if (ifNoneMatch !== undefined) {
    for (const m of ifNoneMatch.matchAll(/\*|(?:W\/)?"([^"]*)"/g)) if (m[0] === '*' || m[1] === tag) return true
    return false
  }
  const ifModifiedSince = headers['if-modified-since']
  if (ifModifiedSince !== undefined && lastModified !== null) {
    const since = Date.parse(ifModifiedSince)
    return !Number.isNaN(since) && Math.floor(lastModified.getTime() / 1000) * 1000 <= since
  }
  return false
}

/** The encoding a body of this size goes out in: smaller bodies are always sent as they are. */
export function encodingFor (request: { headers: IncomingHttpHeaders }, size: number): Encoding | null {
  return size >= compressThreshold ? preferredEncoding(request.headers['accept-encoding']) : null
}

/** A rendered response: its bytes, and compressed forms made the first time a client asks for them. */
export interface Entry { body: Buffer, gzip?: Buffer, br?: Buffer }
/** A rendered body with its tag (bodyTag of `body`), and how each of its forms was last sent. */
export interface TaggedEntry extends Entry { tag: string, sends?: Prepared[] }

/**
 * One form of a kept body as it goes out: the headers the answer adds to those the request hooks set, made the
 * first time it is sent and then set as they are, and what they were made from (a different Last-Modified, type,
 * max-age or Vary before makes them again). The header order is the one the answer had when each was set apart.
 */
export interface Prepared {
  encoding: Encoding | null
  lastModifiedText: string | null
  contentType: string
  maxAge: number
  varyBefore: string | undefined
  bytes: Buffer
  headers: HeaderList
  /** The whole header set of an answer replayed by URL (answer-cache.ts), by the request hooks' headers before these. */
  whole?: Map<HeaderList, Readonly<Record<string, string>>>
}

/** What a 304 needs of a body without looking it up: its tag, and its size (whether it goes out compressed). */
export interface Tagged { tag: string, size: number }

export class BodyCache<E extends Entry = Entry> {
  /** In order of use, oldest first (approximately: see `get`); `at` is when the entry last moved to the end. */
  private readonly entries = new Map<string, { entry: E, at: number }>()
  /** Counts entries stored and moved to the end. */
  private clock = 0
  private bytes = 0
  // Tags outlive their bodies (about 200 bytes each, against kilobytes to megabytes for a body), so a 304 for
  // a page whose body was evicted still costs no rendering.
  private readonly tags = new Map<string, Tagged>()
  /** Lookups that found a body or not, and 304s answered from a kept tag: plain numbers for /metrics. */
  readonly counts = { hits: 0, misses: 0, notModified: 0 }

  constructor (private readonly maxEntries = 2000, private readonly maxBytes = 128 * 1024 * 1024, private readonly maxTags = 50_000) {}

  /** How many bodies are kept. */
  get size (): number { return this.entries.size }

  get (key: string): E | undefined {
    const entry = this.find(key)
    if (entry === undefined) this.counts.misses++
    else this.counts.hits++
    return entry
  }

  /** The entry kept under `key`, counted neither as a hit nor as a miss (the caller counts what it does with it). */
  find (key: string): E | undefined {
    const slot = this.entries.get(key)
    if (slot === undefined) return undefined
    // Moved to the newest end only once it has drifted out of the newest quarter: a body asked for again and
    // again costs one lookup a hit, not a delete and an insert (the order is least recently used but for that).
    if (this.clock - slot.at > this.entries.size >> 2) {
      this.entries.delete(key)
      slot.at = ++this.clock
      this.entries.set(key, slot)
    }
    return slot.entry
  }

  set (key: string, entry: E): void {
    const size = entrySize(entry)
    if (size > this.maxBytes / 8) return
    const old = this.entries.get(key)
    if (old !== undefined) { this.entries.delete(key); this.bytes -= entrySize(old.entry) }
    this.entries.set(key, { entry, at: ++this.clock })
    this.bytes += size
    this.evict()
  }

  /** Accounts for a compressed form added to an entry already stored. */
  grew (by: number): void {
    this.bytes += by
    this.evict()
  }

  /** The tag of the body kept under `key`, or once kept there. */
  tagOf (key: string): Tagged | undefined {
    const tagged = this.tags.get(key)
    if (tagged !== undefined) { this.tags.delete(key); this.tags.set(key, tagged) }
    return tagged
  }

  setTag (key: string, tagged: Tagged): void {
    this.tags.delete(key)
    this.tags.set(key, tagged)
    if (this.tags.size > this.maxTags) this.tags.delete(this.tags.keys().next().value!)
  }

  private evict (): void {
    for (const [k, v] of this.entries) {
      if (this.entries.size <= this.maxEntries && this.bytes <= this.maxBytes) break
      this.entries.delete(k)
      this.bytes -= entrySize(v.entry)
    }
  }
}

const entrySize = (e: Entry): number => e.body.length + (e.gzip?.length ?? 0) + (e.br?.length ?? 0)

export interface CachedSend {
  /** The version of the data as last seen: finds the tag and the body rendered before. */
  version: Version
  contentType: string
  maxAge: number
  /** Renders inside one read snapshot and returns the version of that snapshot with the body. */
  render: () => { version: Version, body: string }
  /**
   * What identifies the body besides the version: the canonical path and parameters (never the raw URL, so
   * junk parameters cannot fill the cache) and, for feeds and the API, the base URL of their links.
   */
  key: string
  /** Told of a 200 sent from a kept body, before its own headers are set (answer-cache.ts remembers the URL). */
  remember?: (bodyKey: string, version: Version, varyBefore: string | undefined) => void
}

/**
 * Sends a versioned response: 304 when the client holds the current body's tag (from the kept tag, without
 * rendering, once the body was rendered for this version), else the cached or freshly rendered bytes,
 * compressed as the client prefers (kept per entry, so nothing is compressed twice).
 */
export function sendVersioned (cache: BodyCache<TaggedEntry>, request: FastifyRequest, reply: FastifyReply, options: CachedSend): FastifyReply {
  let { version } = options
  let key = `${version.key} ${options.key}`
  const headers = request.headers
  const conditional = headers['if-none-match'] !== undefined || headers['if-modified-since'] !== undefined
  if (conditional) {
    const known = cache.tagOf(key)
    if (known !== undefined && isFresh(headers, known.tag, version.lastModified)) {
      cache.counts.notModified++
      return notModified(reply, version, etagOf(known.tag, encodingFor(request, known.size)), options.maxAge)
    }
  }
  let entry = cache.get(key)
  if (entry === undefined) {
    // The body and the validators sent with it come from the same snapshot, even if an ingest committed
    // since the version above was read.
    const rendered = options.render()
    version = rendered.version
    key = `${version.key} ${options.key}`
    const body = Buffer.from(rendered.body)
    entry = { body, tag: bodyTag(body) }
    cache.set(key, entry)
    cache.setTag(key, { tag: entry.tag, size: body.length })
  }
  const encoding = encodingFor(request, entry.body.length)
  // Not current by the tag known before, but perhaps by this one (first asked since a restart or an ingest).
  if (conditional && isFresh(headers, entry.tag, version.lastModified)) return notModified(reply, version, etagOf(entry.tag, encoding), options.maxAge)
  const varyBefore = reply.getHeader('vary')
  // A Vary set as a list (not by this program's hooks) goes the long way, header by header.
  if (varyBefore !== undefined && typeof varyBefore !== 'string') return sendEntry(cache, request, sendHeaders(reply, version, etagOf(entry.tag, encoding), options.maxAge), entry, options.contentType)
  const prepared = preparedSend(cache, entry, encoding, varyBefore, version, options)
  options.remember?.(key, version, varyBefore)
  setHeaders(reply, prepared.headers)
  return reply.send(prepared.bytes)
}

/** The form of `entry` in `encoding` with the headers it goes out with, made again only when what they come from changed. */
export function preparedSend (cache: BodyCache<TaggedEntry>, entry: TaggedEntry, encoding: Encoding | null, varyBefore: string | undefined, version: Version, options: { contentType: string, maxAge: number }): Prepared {
  const sends = entry.sends ?? (entry.sends = [])
  for (const p of sends) {
    if (p.encoding === encoding && p.lastModifiedText === version.lastModifiedText && p.varyBefore === varyBefore && p.contentType === options.contentType && p.maxAge === options.maxAge) return p
  }
  let bytes = entry.body
  if (encoding !== null) {
    let compressed = entry[encoding]
    if (compressed === undefined) {
      compressed = compressBytes(entry.body, encoding)
      entry[encoding] = compressed
      cache.grew(compressed.length)
    }
    bytes = compressed
  }
  // The order sendHeaders, reply.type, varyOnEncoding and Fastify's Content-Length gave them one by one.
  const headers: Record<string, string> = { vary: varyWithEncoding(varyBefore), etag: etagOf(entry.tag, encoding) }
  if (version.lastModifiedText !== null) headers['last-modified'] = version.lastModifiedText
  headers['cache-control'] = `public, max-age=${options.maxAge}`
  headers['content-type'] = options.contentType
  if (encoding !== null) headers['content-encoding'] = encoding
  headers['content-length'] = String(bytes.length)
  const prepared: Prepared = { encoding, lastModifiedText: version.lastModifiedText, contentType: options.contentType, maxAge: options.maxAge, varyBefore, bytes, headers: headerList(headers) }
  finalBodies.add(bytes)
  // At most one set per encoding: one made from older inputs is replaced.
  const same = sends.findIndex((p) => p.encoding === encoding)
  if (same === -1) sends.push(prepared)
  else sends[same] = prepared
  return prepared
}

/** An error a document read in several snapshots raises when the data changed between two of them. */
export class DataMovedError extends Error {}

export interface StreamedSend {
  /**
   * Reads the data's version and returns it with the document's chunks as of that version: each read in a
   * snapshot, the iteration throwing DataMovedError if the data has moved on since.
   */
  open: () => { version: Version, chunks: () => AsyncIterable<string> }
  contentType: string
  maxAge: number
  /** What identifies the document besides the version (as CachedSend's key). */
  key: string
}

/**
 * Sends a document too large to hold, as a stream, under the same validators as every other answer. Its tag
 * is known only once its bytes were made, so the first request for a data version makes them twice: once to
 * hash them (kept, like any other tag), then to send them. A 304 for a kept tag costs nothing.
 */
export async function sendStreamed (cache: BodyCache<TaggedEntry>, request: FastifyRequest, reply: FastifyReply, options: StreamedSend): Promise<FastifyReply> {
  for (let attempt = 1; ; attempt++) {
    const { version, chunks } = options.open()
    const key = `${version.key} ${options.key}`
    const known = cache.tagOf(key)
    let tagged = known
    if (tagged === undefined) {
      try {
        tagged = await whileIdle(request, () => hashOnce(cache, key, chunks))
      } catch (err) {
        // Nothing is sent yet: an ingest that committed meanwhile only means hashing the new data.
        if (err instanceof DataMovedError && attempt < 3) continue
        throw err
      }
    }
    // A stream is compressed whatever its size, when the client accepts it (compress.ts).
    const etag = etagOf(tagged.tag, preferredEncoding(request.headers['accept-encoding']))
    if (isFresh(request.headers, tagged.tag, version.lastModified)) {
      if (known !== undefined) cache.counts.notModified++
      return notModified(reply, version, etag, options.maxAge)
    }
    return sendHeaders(reply, version, etag, options.maxAge).type(options.contentType).send(Readable.from(chunks()))
  }
}

/** Hashings under way, per cache and key: requests for a streamed document that arrive while it is hashed wait for that pass. */
const hashing = new WeakMap<BodyCache<TaggedEntry>, Map<string, Promise<Tagged>>>()

/** The tag of a streamed document, hashed once however many requests ask for it at the same time. */
async function hashOnce (cache: BodyCache<TaggedEntry>, key: string, chunks: () => AsyncIterable<string>): Promise<Tagged> {
  let passes = hashing.get(cache)
  if (passes === undefined) hashing.set(cache, passes = new Map())
  let pass = passes.get(key)
  if (pass === undefined) {
    pass = tagOfChunks(chunks()).then((tagged) => { cache.setTag(key, tagged); return tagged }).finally(() => passes.delete(key))
    passes.set(key, pass)
  }
  return await pass
}

/** The MD5 and size of a document given in chunks, without holding it; other requests run between chunks. */
export async function tagOfChunks (chunks: AsyncIterable<string>): Promise<Tagged> {
  const hash = createHash('md5')
  let size = 0
  for await (const chunk of chunks) {
    const bytes = Buffer.from(chunk)
    hash.update(bytes)
    size += bytes.length
    await nextTurn()
  }
  return { tag: hash.digest('hex'), size }
}

function sendHeaders (reply: FastifyReply, version: Version, etag: string, maxAge: number): FastifyReply {
  reply.header('etag', etag)
  if (version.lastModifiedText !== null) reply.header('last-modified', version.lastModifiedText)
  return reply.header('cache-control', `public, max-age=${maxAge}`)
}

/** A 304 carries what the 200 would have: ETag, Last-Modified, Cache-Control and Vary (RFC 9110 15.4.5). */
function notModified (reply: FastifyReply, version: Version, etag: string, maxAge: number): FastifyReply {
  varyOnEncoding(sendHeaders(reply, version, etag, maxAge))
  return reply.code(304).send()
}

/** Sends a cached entry in the encoding the client prefers, compressing it the first time it is asked for. */
export function sendEntry<E extends Entry> (cache: BodyCache<E>, request: FastifyRequest, reply: FastifyReply, entry: E, contentType: string): FastifyReply {
  reply.type(contentType)
  varyOnEncoding(reply)
  const encoding = encodingFor(request, entry.body.length)
  if (encoding === null) return reply.send(entry.body)
  let compressed = entry[encoding]
  if (compressed === undefined) {
    compressed = compressBytes(entry.body, encoding)
    entry[encoding] = compressed
    cache.grew(compressed.length)
  }
  return reply.header('content-encoding', encoding).send(compressed)
}
